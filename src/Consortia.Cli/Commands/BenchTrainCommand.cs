using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Federation.Benchmarking;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia bench train [--threads 1,2] [--json]</c>: local training speed (examples per second) of the 30→64→1 and
/// 1000→256→1 MLPs, plain SGD and DP-SGD, batch 64; compare with <c>torch_dpsgd_bench.py</c> run in the same hour.
/// </summary>
internal static class BenchTrainCommand
{
    public static Command Create()
    {
        Option<string> threads = new("--threads") { Description = "Comma-separated thread counts to measure (each a site's training.threads).", DefaultValueFactory = _ => "1,2" };
        Option<double> seconds = new("--min-time") { Description = "Least duration of one timed run, in seconds (the median of five is reported).", DefaultValueFactory = _ => 1.0 };
        Option<bool> json = new("--json") { Description = "Prints one JSON document." };
        Command command = new("train", "Local training speed of the 30→64→1 and 1000→256→1 MLPs (batch 64): plain SGD and DP-SGD examples per second.") { threads, seconds, json };
        command.SetAction(async (parse, ct) =>
        {
            int[] counts;
            try
            {
                counts = [.. parse.GetRequiredValue(threads).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s => int.Parse(s, CultureInfo.InvariantCulture))];
                if (counts.Length == 0 || counts.Any(c => c is < 1 or > 64))
                {
                    throw new FormatException("expected thread counts from 1 to 64");
                }
            }
            catch (Exception error) when (error is FormatException or OverflowException)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: --threads '{parse.GetValue(threads)}': {error.Message}.").ConfigureAwait(false);
                return 2;
            }

            double minimum = parse.GetValue(seconds);
            if (!(minimum > 0 && minimum <= 60))
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync($"error: --min-time {minimum}: expected seconds in (0, 60].").ConfigureAwait(false);
                return 2;
            }

            List<TrainThroughputRow> rows = [];
            foreach (int count in counts)
            {
                foreach ((int features, int hidden) in TrainBenchmark.Models)
                {
                    ct.ThrowIfCancellationRequested();
                    rows.Add(await Task.Run(() => TrainBenchmark.Measure(features, hidden, count, TimeSpan.FromSeconds(minimum)), ct).ConfigureAwait(false));
                }
            }

            await parse.InvocationConfiguration.Output.WriteLineAsync(parse.GetValue(json) ? ToJson(rows) : ToTable(rows)).ConfigureAwait(false);
            return 0;
        });
        return command;
    }

    private static string ToJson(List<TrainThroughputRow> rows)
    {
        using MemoryStream stream = new();
        using (Utf8JsonWriter w = new(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("batch", 64);
            w.WriteNumber("cores", Environment.ProcessorCount);
            w.WriteStartArray("models");
            foreach (TrainThroughputRow row in rows)
            {
                w.WriteStartObject();
                w.WriteString("model", row.Model);
                w.WriteNumber("threads", row.Threads);
                w.WriteNumber("plain_examples_per_s", Math.Round(row.PlainExamplesPerSecond));
                w.WriteNumber("dpsgd_examples_per_s", Math.Round(row.DpExamplesPerSecond));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static string ToTable(List<TrainThroughputRow> rows)
    {
        StringBuilder text = new();
        text.AppendLine("MLP local training, batch 64 (examples/s, median of 5 runs)");
        text.AppendLine(CultureInfo.InvariantCulture, $"{"model",-12}{"threads",8}{"plain",12}{"DP-SGD",12}");
        foreach (TrainThroughputRow row in rows)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"{row.Model,-12}{row.Threads,8}{row.PlainExamplesPerSecond,12:F0}{row.DpExamplesPerSecond,12:F0}");
        }

        return text.ToString().TrimEnd();
    }
}
