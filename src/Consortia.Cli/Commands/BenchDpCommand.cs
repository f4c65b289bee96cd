using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Cli.Output;
using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Federation.Sites;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.DpSgd;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia bench dp --dataset heart-disease [--json]</c>: test accuracy against ε for sample-level DP-SGD and for
/// client-level DP-FedAvg, and DP-SGD's throughput against non-private training measured in the same run.
/// </summary>
internal static class BenchDpCommand
{
    private static readonly double?[] s_epsilons = [0.5, 1, 2, 4, 8, null];

    public static Command Create()
    {
        Option<string> dataset = new("--dataset") { Description = "heart-disease (the job examples/heart-disease/dp-sgd.yaml is the base).", DefaultValueFactory = _ => "heart-disease" };
        dataset.AcceptOnlyFromAmong("heart-disease");
        Option<FileInfo> job = new("--job") { Description = "The DP job to vary (default: examples/heart-disease/dp-sgd.yaml).", DefaultValueFactory = _ => new FileInfo(Path.Combine("examples", "heart-disease", "dp-sgd.yaml")) };
        Option<FileInfo?> clientJob = new("--client-job") { Description = "The client-level DP job to vary (default: dp-fedavg-client.yaml beside the --job file)." };
        Option<string> seeds = new("--seeds") { Description = "Comma-separated seeds.", DefaultValueFactory = _ => "42,43,44,45,46" };
        Option<bool> json = new("--json") { Description = "Prints one JSON document." };
        Option<bool> skipThroughput = new("--skip-throughput") { Description = "Measures utility only (throughput rows are left out)." };
        Command command = new("dp", "Accuracy at ε ∈ {0.5, 1, 2, 4, 8, ∞} (δ = 1e-5) for sample-level and client-level DP, and DP-SGD throughput against non-private training.") { dataset, job, clientJob, seeds, json, skipThroughput };
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
            baseJob = JobFile.Load(jobFile.FullName) with { SiteBudget = null, Baselines = null };
            data = FederatedDataLoader.Load(baseJob.Data, jobFile.DirectoryName ?? ".");
            clientJob = JobFile.Load(clientJobFile.FullName) with { SiteBudget = null, Baselines = null };
            clientData = FederatedDataLoader.Load(clientJob.Data, clientJobFile.DirectoryName ?? ".");
        }
        catch (Exception error) when (error is JobFileException or DataConfigurationException or DataValidationException or IOException or FormatException or OverflowException)
        {
            await stderr.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            return 2;
        }

        if (baseJob.Engine.Dp is not { } dp)
        {
            await stderr.WriteLineAsync($"error: {jobFile.Name}: the job has no privacy.dp section to vary.").ConfigureAwait(false);
            return 2;
        }

        if (clientJob.ClientDp is not { } clientDp)
        {
            await stderr.WriteLineAsync($"error: {clientJobFile.Name}: the job has no privacy.dp section with mode: client-level to vary.").ConfigureAwait(false);
            return 2;
        }

        List<(string Mode, double? Epsilon, double Accuracy)> utility = [];
        foreach (double? epsilon in s_epsilons)
        {
            double sum = 0;
            foreach (ulong seed in seeds)
            {
                JobDefinition job = baseJob with
                {
                    Seed = seed,
                    Engine = baseJob.Engine with
                    {
                        Dp = epsilon is { } e ? dp with { Options = dp.Options with { TargetEpsilon = e, NoiseMultiplier = null } } : null,
                        EvaluateEvery = baseJob.Engine.Rounds,
                    },
                };
                SimulationResult result = await FederatedSimulation.RunAsync(job, data, null, null, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                sum += result.Final.Mean[0].Value;
            }

            utility.Add(("sample-level", epsilon, sum / seeds.Length));
        }

        // Client-level DP-FedAvg: z calibrated for q = sites sampled / sites and the job's rounds; ∞ is the same job without DP.
        foreach (double? epsilon in s_epsilons)
        {
            double sum = 0;
            foreach (ulong seed in seeds)
            {
                JobDefinition job = clientJob with
                {
                    Seed = seed,
                    ClientDp = epsilon is { } e ? clientDp with { Options = clientDp.Options with { TargetEpsilon = e, NoiseMultiplier = null } } : null,
                    Engine = clientJob.Engine with { EvaluateEvery = clientJob.Engine.Rounds },
                };
                SimulationResult result = await FederatedSimulation.RunAsync(job, clientData, null, null, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                sum += result.Final.Mean[0].Value;
            }

            utility.Add(("client-level", epsilon, sum / seeds.Length));
        }

        List<(string Model, double Dp, double Plain)> throughput = skipThroughput ? [] : [Throughput("30-64-1", 30, 64), Throughput("1000-256-1", 1000, 256)];
        await stdout.WriteLineAsync(json ? ToJson(utility, throughput) : ToTable(utility, throughput, seeds)).ConfigureAwait(false);
        return 0;
    }

    /// <summary>Examples per second of DP-SGD (Poisson, σ = 1, C = 1) and of plain SGD, batch 64, measured back to back.</summary>
    private static (string, double, double) Throughput(string name, int features, int hidden)
    {
        ModelSpec spec = new(ModelKind.Mlp, features, [hidden]);
        RandomSource random = new(1);
        int rows = 6400;
        float[] x = new float[rows * features];
        float[] y = new float[rows];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextGaussian();
        }

        for (int r = 0; r < rows; r++)
        {
            y[r] = x[r * features] > 0 ? 1f : 0f;
        }

        Dataset data = new([.. Enumerable.Range(0, features).Select(i => $"f{i}")], x, y);
        LocalTrainingOptions options = new() { BatchSize = 64, LocalEpochs = 1, Optimizer = new() { LearningRate = 0.01f } };
        float[] parameters = new float[spec.CreateLayout().Length];
        LocalTrainer plain = new(spec, 64);
        DpSgdTrainer dp = new(spec);
        SeededNoiseSource noise = new(random.Derive("noise"));
        int repeats = features > 100 ? 3 : 30;

        // Warm up both paths (tiered JIT), then time them alternately so load on the shared machine hits both alike.
        for (int i = 0; i < (features > 100 ? 2 : 20); i++)
        {
            plain.Train(parameters, data, options, random);
            dp.Train(parameters, data, options, 1.0, 1.0, BatchSampling.Poisson, random, noise);
        }

        TimeSpan plainTime = TimeSpan.Zero, dpTime = TimeSpan.Zero;
        long plainExamples = 0, dpExamples = 0;
        for (int i = 0; i < repeats; i++)
        {
            long start = Stopwatch.GetTimestamp();
            plainExamples += plain.Train(parameters, data, options, random).ExamplesSeen;
            plainTime += Stopwatch.GetElapsedTime(start);
            start = Stopwatch.GetTimestamp();
            dpExamples += dp.Train(parameters, data, options, 1.0, 1.0, BatchSampling.Poisson, random, noise).ExamplesSeen;
            dpTime += Stopwatch.GetElapsedTime(start);
        }

        return (name, dpExamples / dpTime.TotalSeconds, plainExamples / plainTime.TotalSeconds);
    }

    private static string ToJson(List<(string Mode, double? Epsilon, double Accuracy)> utility, List<(string Model, double Dp, double Plain)> throughput)
    {
        using MemoryStream stream = new();
        using (Utf8JsonWriter w = new(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteStartArray("utility");
            foreach ((string mode, double? epsilon, double accuracy) in utility)
            {
                w.WriteStartObject();
                w.WriteString("mode", mode);
                if (epsilon is { } e)
                {
                    w.WriteNumber("epsilon", e);
                }
                else
                {
                    w.WriteNull("epsilon");
                }

                Json.Number(w, "accuracy", accuracy);
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
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string ToTable(List<(string Mode, double? Epsilon, double Accuracy)> utility, List<(string Model, double Dp, double Plain)> throughput, ulong[] seeds)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder table = new();
        table.AppendLine(c, $"Sample-level DP-SGD and client-level DP-FedAvg on Heart (δ = 1e-5), mean over centers and seeds {string.Join(",", seeds)}:");
        table.AppendLine();
        table.AppendLine("| mode | ε | accuracy |");
        table.AppendLine("|---|---|---|");
        foreach ((string mode, double? epsilon, double accuracy) in utility)
        {
            table.AppendLine(c, $"| {mode} | {(epsilon is { } e ? e.ToString(c) : "∞ (no DP)")} | {SimulationReport.Format(accuracy)} |");
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

        return table.ToString();
    }
}
