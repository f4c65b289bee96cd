using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Cli.Output;
using Consortia.Data;
using Consortia.Data.Flamby;
using Consortia.Federation.Benchmarking;
using Consortia.Federation.Jobs;

namespace Consortia.Cli.Commands;

/// <summary><c>consortia bench flamby --dataset heart-disease|tcga-brca [--seeds 42,43,44,45,46] [--json]</c>.</summary>
internal static class BenchFlambyCommand
{
    public static Command Create()
    {
        Option<string> dataset = new("--dataset") { Description = "heart-disease or tcga-brca.", Required = true };
        dataset.AcceptOnlyFromAmong("heart-disease", "tcga-brca");
        Option<string> seeds = new("--seeds") { Description = "Comma-separated seeds.", DefaultValueFactory = _ => "42,43,44,45,46" };
        Option<DirectoryInfo> data = new("--data") { Description = "The folder holding fed-heart-disease/ and fed-tcga-brca/.", DefaultValueFactory = _ => new DirectoryInfo("data") };
        Option<FileInfo[]> tuned = new("--tuned") { Description = "Job files to add as rows (default: examples/DATASET/tuned.yaml when it exists).", AllowMultipleArgumentsPerToken = true };
        Option<bool> json = new("--json") { Description = "Prints one JSON document instead of the table." };
        Command command = new("flamby", "Runs FLamby's benchmark protocol (pooled, local baselines, every strategy) and sets the results beside FLamby's published ones.")
        {
            dataset, seeds, data, tuned, json,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetRequiredValue(dataset), parse.GetRequiredValue(seeds), parse.GetRequiredValue(data), parse.GetValue(tuned), parse.GetValue(json),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(string dataset, string seedText, DirectoryInfo dataRoot, FileInfo[]? tuned, bool json, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        List<ulong> seeds = [];
        foreach (string part in seedText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!ulong.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong seed))
            {
                await stderr.WriteLineAsync($"error: --seeds: expected comma-separated non-negative integers, got '{part}'.").ConfigureAwait(false);
                return 2;
            }

            seeds.Add(seed);
        }

        if (seeds.Count == 0)
        {
            await stderr.WriteLineAsync("error: --seeds: give at least one seed.").ConfigureAwait(false);
            return 2;
        }

        FlambyRecipe recipe = FlambyRecipe.For(dataset);
        string folder = Path.Combine(dataRoot.FullName, recipe.DataFolder);
        List<(string, JobDefinition, FederatedDataset)> extra = [];
        FederatedDataset data;
        try
        {
            data = FederatedDataLoader.Load(new DataSourceOptions { Format = recipe.Format, Path = folder }, dataRoot.FullName);
            FileInfo[] tunedFiles = tuned is { Length: > 0 } ? tuned : [.. new[] { new FileInfo(Path.Combine("examples", dataset, "tuned.yaml")) }.Where(f => f.Exists)];
            foreach (FileInfo file in tunedFiles)
            {
                JobDefinition job = JobFile.Load(file.FullName);
                if (job.Data.Format != recipe.Format)
                {
                    await stderr.WriteLineAsync($"error: {file.Name}: its data format is {job.Data.Format}, the benchmark's is {recipe.Format}.").ConfigureAwait(false);
                    return 2;
                }

                // The row reads FLamby's files with the job's own preprocessing (e.g. data.standardization).
                FederatedDataset jobData = FederatedDataLoader.Load(job.Data with { Path = folder }, dataRoot.FullName);
                extra.Add(($"Tuned ({file.Name})", job, jobData));
            }
        }
        catch (Exception error) when (error is JobFileException or DataConfigurationException or DataValidationException or IOException)
        {
            await stderr.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            return 2;
        }

        FlambyPublishedResults published = FlambyPublishedResults.Load(Path.Combine(folder, "flamby-results"));
        FlambyBenchmarkResult result = await FlambyBenchmark.RunAsync(recipe, data, published, seeds, extra, TimeProvider.System, cancellationToken).ConfigureAwait(false);
        await stdout.WriteLineAsync(json ? ToJson(result) : ToTable(result)).ConfigureAwait(false);
        return 0;
    }

    private static string ToJson(FlambyBenchmarkResult result)
    {
        using MemoryStream stream = new();
        using (Utf8JsonWriter w = new(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("dataset", result.Dataset);
            w.WriteString("metric", result.Metric);
            w.WriteStartArray("seeds");
            foreach (ulong s in result.Seeds)
            {
                w.WriteNumberValue(s);
            }

            w.WriteEndArray();
            w.WriteStartArray("centers");
            foreach (string c in result.Centers)
            {
                w.WriteStringValue(c);
            }

            w.WriteEndArray();
            w.WriteStartArray("majority_baseline");
            foreach (double v in result.MajorityBaseline)
            {
                w.WriteNumberValue(v);
            }

            w.WriteEndArray();
            w.WriteStartArray("rows");
            foreach (FlambyBenchmarkRow row in result.Rows)
            {
                w.WriteStartObject();
                w.WriteString("method", row.Method);
                Json.Number(w, "mean", row.Mean);
                Json.Number(w, "sd", row.Sd);
                if (row.FlambyMean is { } f)
                {
                    w.WriteNumber("flamby_mean", f);
                }
                else
                {
                    w.WriteNull("flamby_mean");
                }

                w.WriteStartArray("per_center");
                foreach (double v in row.PerCenter)
                {
                    if (double.IsFinite(v))
                    {
                        w.WriteNumberValue(v);
                    }
                    else
                    {
                        w.WriteNullValue();
                    }
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("elapsed_s", result.Elapsed.TotalSeconds);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string ToTable(FlambyBenchmarkResult result)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder table = new();
        table.AppendLine(c, $"FLamby {result.Dataset}: test {result.Metric} per center (mean over seeds {string.Join(",", result.Seeds)}), mean over centers ± sd over seeds, FLamby's published mean beside ours.");
        table.AppendLine();
        string header = string.Join(" | ", result.Centers.Select((name, i) => $"{i} {name}"));
        table.AppendLine(c, $"| method | {header} | mean ± sd | FLamby | Δ |");
        table.AppendLine(c, $"|---|{string.Concat(result.Centers.Select(_ => "---|"))}---|---|---|");
        table.AppendLine(c, $"| majority class (per center) | {string.Join(" | ", result.MajorityBaseline.Select(SimulationReport.Format))} | {SimulationReport.Format(result.MajorityBaseline.Average())} | | |");
        foreach (FlambyBenchmarkRow row in result.Rows)
        {
            string flamby = row.FlambyMean is { } f ? SimulationReport.Format(f) : "—";
            string delta = row.FlambyMean is { } g ? (row.Mean - g).ToString("+0.0000;-0.0000", c) : "";
            table.AppendLine(c, $"| {row.Method} | {string.Join(" | ", row.PerCenter.Select(SimulationReport.Format))} | {SimulationReport.Format(row.Mean)} ± {SimulationReport.Format(row.Sd)} | {flamby} | {delta} |");
        }

        table.AppendLine();
        table.AppendLine(c, $"{result.Rows.Count} methods × {result.Seeds.Count} seeds in {result.Elapsed.TotalSeconds:F1} s.");
        return table.ToString();
    }
}
