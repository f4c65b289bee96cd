using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Cli.Output;
using Consortia.Data;
using Consortia.Federation.Benchmarking;
using Consortia.Federation.Jobs;
using Consortia.Privacy.Distributed;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia bench dp --dataset heart-disease [--json]</c>: test accuracy against ε for sample-level DP-SGD, for
/// client-level DP-FedAvg with central noise and with distributed noise (the sites' discrete Gaussian or Skellam shares under secure
/// aggregation), DP-SGD's throughput against non-private training, and what distributed noise costs a site per round.
/// </summary>
internal static class BenchDpCommand
{
    // Model sizes for the per-site noise cost: real models (10⁴–10⁵) for the discrete Gaussian; Skellam's exact Poisson
    // draws cost O(variance) per coordinate, so it is measured on small models only.
    private static readonly int[] s_gaussianCostSizes = [14, 1_000, 10_000, 100_000];
    private static readonly int[] s_skellamCostSizes = [14, 100];

    public static Command Create()
    {
        Option<string> dataset = new("--dataset") { Description = "heart-disease (the job examples/heart-disease/dp-sgd.yaml is the base).", DefaultValueFactory = _ => "heart-disease" };
        dataset.AcceptOnlyFromAmong("heart-disease");
        Option<FileInfo> job = new("--job") { Description = "The DP job to vary (default: examples/heart-disease/dp-sgd.yaml).", DefaultValueFactory = _ => new FileInfo(Path.Combine("examples", "heart-disease", "dp-sgd.yaml")) };
        Option<FileInfo?> clientJob = new("--client-job") { Description = "The client-level DP job to vary (default: dp-fedavg-client.yaml beside the --job file)." };
        Option<string> seeds = new("--seeds") { Description = "Comma-separated seeds.", DefaultValueFactory = _ => "42,43,44,45,46" };
        Option<bool> json = new("--json") { Description = "Prints one JSON document." };
        Option<bool> skipThroughput = new("--skip-throughput") { Description = "Measures utility only (throughput rows are left out)." };
        Command command = new("dp", "Accuracy at ε ∈ {0.5, 1, 2, 4, 8, ∞} (δ = 1e-5) for sample-level and client-level DP and at ε ∈ {1, 2, 4, 8} for distributed DP, DP-SGD throughput against non-private training, and the per-site cost of distributed noise.") { dataset, job, clientJob, seeds, json, skipThroughput };
        command.SetAction((parse, ct) => RunAsync(parse.GetRequiredValue(job), parse.GetValue(clientJob), parse.GetRequiredValue(seeds), parse.GetValue(json), parse.GetValue(skipThroughput), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo jobFile, FileInfo? clientJobOption, string seedText, bool json, bool skipThroughput, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        FileInfo clientJobFile = clientJobOption ?? new FileInfo(Path.Combine(jobFile.DirectoryName ?? ".", "dp-fedavg-client.yaml"));
        JobDefinition baseJob;
        JobDefinition clientJob;
        FederatedDataset data;
        FederatedDataset clientData;
        ulong[] seeds;
        try
        {
            seeds = [.. seedText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => ulong.Parse(s, CultureInfo.InvariantCulture))];
            baseJob = JobFile.Load(jobFile.FullName) with { Baselines = null };
            data = FederatedDataLoader.Load(baseJob.Data, jobFile.DirectoryName ?? ".");
            clientJob = JobFile.Load(clientJobFile.FullName) with { Baselines = null };
            clientData = FederatedDataLoader.Load(clientJob.Data, clientJobFile.DirectoryName ?? ".");
        }
        catch (Exception error) when (error is JobFileException or DataConfigurationException or DataValidationException or IOException or FormatException or OverflowException)
        {
            await stderr.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            return 2;
        }

        if (baseJob.Engine.Dp is null)
        {
            await stderr.WriteLineAsync($"error: {jobFile.Name}: the job has no privacy.dp section to vary.").ConfigureAwait(false);
            return 2;
        }

        if (clientJob.ClientDp is null)
        {
            await stderr.WriteLineAsync($"error: {clientJobFile.Name}: the job has no privacy.dp section with mode: client-level to vary.").ConfigureAwait(false);
            return 2;
        }

        IReadOnlyList<DpUtilityRow> utility = await DpBenchmark.MeasureUtilityAsync(baseJob, data, clientJob, clientData, seeds, cancellationToken).ConfigureAwait(false);
        List<DpThroughputRow> throughput = skipThroughput ? [] : [DpBenchmark.MeasureThroughput("30-64-1", 30, 64), DpBenchmark.MeasureThroughput("1000-256-1", 1000, 256)];
        List<DpNoiseCostRow> noiseCost = skipThroughput
            ? []
            :
            [
                .. s_gaussianCostSizes.Select(d => DpBenchmark.MeasureSiteNoiseCost(d, DistributedMechanism.DiscreteGaussian)),
                .. s_skellamCostSizes.Select(d => DpBenchmark.MeasureSiteNoiseCost(d, DistributedMechanism.Skellam)),
            ];
        await stdout.WriteLineAsync(json ? ToJson(utility, throughput, noiseCost) : ToTable(utility, throughput, noiseCost, seeds)).ConfigureAwait(false);
        return 0;
    }

    private static string ToJson(IReadOnlyList<DpUtilityRow> utility, List<DpThroughputRow> throughput, List<DpNoiseCostRow> noiseCost)
    {
        using MemoryStream stream = new();
        using (Utf8JsonWriter w = new(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("utility");
            foreach (DpUtilityRow row in utility)
            {
                w.WriteStartObject();
                w.WriteString("mode", row.Mode);
                if (row.Epsilon is { } e)
                {
                    w.WriteNumber("epsilon", e);
                }
                else
                {
                    w.WriteNull("epsilon");
                }

                Json.Number(w, "accuracy", row.Accuracy);
                if (row.ReportedEpsilon is { } reported)
                {
                    w.WriteNumber("reported_epsilon", reported);
                }

                if (row.NoiseMultiplier is { } z)
                {
                    w.WriteNumber("noise_multiplier", z);
                }

                if (row.SiteEpsilon is { } siteEpsilon)
                {
                    w.WriteNumber("site_epsilon", siteEpsilon);
                }

                if (row.Mechanism is { } mechanism)
                {
                    w.WriteString("mechanism", mechanism);
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("throughput");
            foreach ((string model, double dp, double plain) in throughput)
            {
                w.WriteStartObject();
                w.WriteString("model", model);
                w.WriteNumber("dp_examples_per_s", dp);
                w.WriteNumber("plain_examples_per_s", plain);
                w.WriteNumber("dp_over_plain", dp / plain);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("distributed_noise_cost");
            foreach ((string mechanism, int parameters, double siteVariance, double noise, double plain) in noiseCost)
            {
                w.WriteStartObject();
                w.WriteString("mechanism", mechanism);
                w.WriteNumber("parameters", parameters);
                w.WriteNumber("site_variance", siteVariance);
                w.WriteNumber("noise_ms_per_site_round", noise);
                w.WriteNumber("plain_ms_per_site_round", plain);
                w.WriteNumber("noise_over_plain", noise / plain);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string ToTable(IReadOnlyList<DpUtilityRow> utility, List<DpThroughputRow> throughput, List<DpNoiseCostRow> noiseCost, ulong[] seeds)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder table = new();
        table.AppendLine(c, $"Sample-level DP-SGD, client-level DP-FedAvg (central noise) and distributed DP (sites' integer noise under secure aggregation) on Heart (δ = 1e-5), mean over centers and seeds {string.Join(",", seeds)}:");
        table.AppendLine();
        table.AppendLine("| mode | ε | accuracy | ε reported | z | largest site ε booked | mechanism booked |");
        table.AppendLine("|---|---|---|---|---|---|---|");
        foreach (DpUtilityRow row in utility)
        {
            table.AppendLine(c, $"| {row.Mode} | {(row.Epsilon is { } e ? e.ToString(c) : "∞ (no DP)")} | {SimulationReport.Format(row.Accuracy)} | {(row.ReportedEpsilon is { } r ? r.ToString("F4", c) : "")} | {(row.NoiseMultiplier is { } z ? z.ToString("F4", c) : "")} | {(row.SiteEpsilon is { } s ? s.ToString("F4", c) : "")} | {row.Mechanism} |");
        }

        if (throughput.Count == 0)
        {
            return table.ToString();
        }

        table.AppendLine();
        table.AppendLine("| MLP | DP-SGD examples/s | plain examples/s | DP cost (plain/DP) |");
        table.AppendLine("|---|---|---|---|");
        foreach ((string model, double dp, double plain) in throughput)
        {
            table.AppendLine(c, $"| {model} | {dp:F0} | {plain:F0} | {plain / dp:F2}× |");
        }

        table.AppendLine();
        table.AppendLine("| mechanism | parameters | site variance | distributed noise ms / site / round | fixed-point only ms / site / round | ratio |");
        table.AppendLine("|---|---|---|---|---|---|");
        foreach ((string mechanism, int parameters, double siteVariance, double noise, double plain) in noiseCost)
        {
            table.AppendLine(c, $"| {mechanism} | {parameters} | {siteVariance:F0} | {noise:F3} | {plain:F3} | {noise / plain:F1}× |");
        }

        return table.ToString();
    }
}
