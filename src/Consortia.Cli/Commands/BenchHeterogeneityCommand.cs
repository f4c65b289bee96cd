using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Cli.Output;
using Consortia.Data;
using Consortia.Federation.Benchmarking;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia bench heterogeneity [--seed 42] [--rounds 15] [--json]</c>: a simulated consortium with a 10× speed
/// spread and 20 % dropout against a balanced one, per strategy: simulated time to the balanced run's accuracy, and accuracy.
/// </summary>
internal static class BenchHeterogeneityCommand
{
    public static Command Create()
    {
        Option<DirectoryInfo> data = new("--data") { Description = "The folder holding fed-heart-disease/.", DefaultValueFactory = _ => new DirectoryInfo("data") };
        Option<ulong> seed = new("--seed") { Description = "The job seed (profiles, dropouts, training).", DefaultValueFactory = _ => 42UL };
        Option<int> rounds = new("--rounds") { Description = "The balanced run's rounds (the heterogeneous runs get three times as many).", DefaultValueFactory = _ => 15 };
        Option<bool> json = new("--json") { Description = "Prints one JSON document instead of the table." };
        Command command = new("heterogeneity", "Fed-Heart-Disease on a simulated consortium with a 10× speed spread and 20 % dropout against a balanced one: simulated time to the balanced accuracy per scheduling strategy.")
        {
            data, seed, rounds, json,
        };
        command.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetRequiredValue(data), parse.GetValue(seed), parse.GetValue(rounds), parse.GetValue(json),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));
        return command;
    }

    private static async Task<int> RunAsync(DirectoryInfo dataRoot, ulong seed, int rounds, bool json, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (rounds < 1)
        {
            await stderr.WriteLineAsync($"error: --rounds: expected a positive integer, got {rounds}.").ConfigureAwait(false);
            return 2;
        }

        string folder = Path.Combine(dataRoot.FullName, "fed-heart-disease");
        FederatedDataset dataset;
        try
        {
            dataset = FederatedDataLoader.Load(new DataSourceOptions { Format = DataFormat.FlambyHeartDisease, Path = folder }, dataRoot.FullName);
        }
        catch (Exception error) when (error is DataConfigurationException or DataValidationException or IOException)
        {
            await stderr.WriteLineAsync($"error: {error.Message}").ConfigureAwait(false);
            return 2;
        }

        HeterogeneityBenchmarkResult result = await HeterogeneityBenchmark.RunAsync(dataset, folder, seed, rounds, cancellationToken).ConfigureAwait(false);
        await stdout.WriteLineAsync(json ? ToJson(result) : ToTable(result)).ConfigureAwait(false);
        return 0;
    }

    private static string ToJson(HeterogeneityBenchmarkResult result)
    {
        using MemoryStream stream = new();
        using (Utf8JsonWriter w = new(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteString("dataset", result.Dataset);
            w.WriteNumber("seed", result.Seed);
            w.WriteNumber("speed_spread", result.Spread);
            w.WriteNumber("dropout", result.Dropout);
            Json.Number(w, "target_accuracy", result.TargetAccuracy);
            w.WriteNumber("balanced_seconds", result.BalancedTime.TotalSeconds);
            w.WriteStartArray("rows");
            foreach (HeterogeneityBenchmarkRow row in result.Rows)
            {
                w.WriteStartObject();
                w.WriteString("consortium", row.Consortium);
                w.WriteString("strategy", row.Strategy);
                Json.Number(w, "accuracy", row.FinalAccuracy);
                Json.Number(w, "accuracy_at_balanced_time", row.AccuracyAtBalancedTime);
                Json.Number(w, "seconds_to_target", row.TimeToTarget?.TotalSeconds ?? double.NaN);
                Json.Number(w, "time_ratio", row.TimeRatio ?? double.NaN);
                w.WriteNumber("simulated_seconds", row.SimulatedTime.TotalSeconds);
                w.WriteNumber("rounds", row.Rounds);
                w.WriteNumber("mean_contributors", row.MeanContributors);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteNumber("wall_seconds", result.WallTime.TotalSeconds);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string ToTable(HeterogeneityBenchmarkResult result)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder text = new();
        text.AppendLine(c, $"{result.Dataset}, seed {result.Seed}: {result.Spread}× speed spread, {result.Dropout:P0} dropout; target = balanced accuracy {result.TargetAccuracy:F4}, reached in {result.BalancedTime.TotalSeconds:F1} simulated s");
        text.AppendLine(c, $"{"consortium",-14} {"strategy",-34} {"accuracy",9} {"acc@bal.t",9} {"t→target",10} {"× bal.",7} {"sim. s",9} {"rounds",6} {"sites/rd",8}");
        foreach (HeterogeneityBenchmarkRow row in result.Rows)
        {
            string time = row.TimeToTarget is { } t ? t.TotalSeconds.ToString("F1", c) : "never";
            string ratio = row.TimeRatio is { } r ? r.ToString("F2", c) : "-";
            text.AppendLine(c, $"{row.Consortium,-14} {row.Strategy,-34} {row.FinalAccuracy,9:F4} {row.AccuracyAtBalancedTime,9:F4} {time,10} {ratio,7} {row.SimulatedTime.TotalSeconds,9:F1} {row.Rounds,6} {row.MeanContributors,8:F2}");
        }

        text.Append(c, $"(wall time {result.WallTime.TotalSeconds:F1} s; times are simulated consortium time on the virtual clock)");
        return text.ToString();
    }
}
