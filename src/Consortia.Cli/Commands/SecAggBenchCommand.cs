using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text;
using System.Text.Json;

using Consortia.SecureAggregation;
using Consortia.SecureAggregation.Aggregation;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Quantization;
using Consortia.SecureAggregation.Simulation;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia bench secagg --sites N --dim D --dropout F [--neighbours K] [--json]</c>: runs a complete
/// secure-aggregation round in process and reports its cost next to a plain (unprotected) round and the
/// machine's raw AES keystream throughput, all measured in the same run.
/// </summary>
internal static class SecAggBenchCommand
{
    private const string AfterMasking = "after-masking";
    private const string BeforeMasking = "before-masking";

    public static Command Create()
    {
        Option<int> sites = new("--sites") { Description = "Number of participating sites n (at least 3).", Required = true };
        Option<int> dim = new("--dim") { Description = "Vector length D (model parameters summed per round).", Required = true };
        Option<double> dropout = new("--dropout") { Description = "Fraction of sites that drop out during the round, in [0, 1).", Required = true };
        Option<int?> neighbours = new("--neighbours") { Description = "SecAgg+ graph degree k (even, < n − 1); omit for the complete graph (classic SecAgg)." };
        Option<string> phase = new("--dropout-phase")
        {
            Description = "When the dropped sites stop: after sending their masked input (their input is still summed) or before it (their pairwise masks are removed from reconstructed keys).",
            DefaultValueFactory = _ => AfterMasking,
        };
        phase.AcceptOnlyFromAmong(AfterMasking, BeforeMasking);
        Option<ulong?> seed = new("--seed") { Description = "Seeds the inputs, the dropout choice and (for a reproducible transcript) the cryptographic randomness; default: OS randomness." };
        Option<bool> json = new("--json") { Description = "Prints one JSON object instead of the table." };
        Command command = new("secagg", "Measures one secure-aggregation round (SecAgg/SecAgg+): per-phase site and server time, bytes per site, against a plain round and raw AES throughput.")
        {
            sites, dim, dropout, neighbours, phase, seed, json,
        };
        command.SetAction(parse => Run(
            new BenchSettings(parse.GetValue(sites), parse.GetValue(dim), parse.GetValue(dropout), parse.GetValue(neighbours), parse.GetValue(phase) ?? AfterMasking, parse.GetValue(seed)),
            parse.GetValue(json),
            parse.InvocationConfiguration.Output,
            parse.InvocationConfiguration.Error));
        return command;
    }

    private static int Run(BenchSettings settings, bool json, TextWriter stdout, TextWriter stderr)
    {
        if (settings.Validate() is string problem)
        {
            stderr.WriteLine($"error: {problem}");
            return 2;
        }

        BenchResult result = Measure(settings);
        stdout.Write(json ? ToJson(settings, result) : ToTable(settings, result));
        return result.SumCorrect ? 0 : 1;
    }

    private static BenchResult Measure(BenchSettings settings)
    {
        int n = settings.Sites;
        int d = settings.Dim;
        Random statistics = new(unchecked((int)(settings.Seed ?? 1)));
        using DeterministicSecureRandom? deterministic = settings.Seed is ulong s ? new DeterministicSecureRandom(s) : null;
        ISecureRandom rounding = deterministic is null ? SystemSecureRandom.Instance : deterministic.Derive(ulong.MaxValue);

        // Site updates in [−1.2, 1.2], clipped to [−1, 1] and quantised with headroom for n summands.
        float[][] updates = [.. Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => (float)((statistics.NextDouble() * 2.4) - 1.2)).ToArray())];
        FixedPointCodec codec = new(new FixedPointOptions { ClipRange = 1.0, MaxSummands = n });
        uint[][] encoded = new uint[n][];
        long quantiseTicks = 0;
        for (int i = 0; i < n; i++)
        {
            encoded[i] = new uint[d];
            long started = Stopwatch.GetTimestamp();
            codec.Quantize(updates[i], encoded[i], rounding);
            quantiseTicks += Stopwatch.GetTimestamp() - started;
        }

        int droppedCount = (int)Math.Round(settings.Dropout * n, MidpointRounding.AwayFromZero);
        HashSet<ParticipantIndex> dropped = [.. Enumerable.Range(1, n).OrderBy(_ => statistics.Next()).Take(droppedCount).Select(p => new ParticipantIndex(p))];
        SecAggSessionOptions session = new()
        {
            JobId = "bench-secagg",
            RoundNumber = 1,
            Participants = [.. Enumerable.Range(1, n).Select(i => "site-" + i.ToString("D6", CultureInfo.InvariantCulture))],
            VectorLength = d,
            Threshold = settings.Threshold,
            Neighbours = settings.Neighbours,
        };
        SecAggSimulationOptions options = new()
        {
            Session = session,
            Seed = settings.Seed,
            Dropouts = settings.DropoutPhase == BeforeMasking ? new DropoutPlan { BeforeMasking = dropped } : new DropoutPlan { BeforeUnmasking = dropped },
        };

        SecAggSimulationResult round = SecAggRoundSimulator.Run(options, [.. encoded.Select(e => (ReadOnlyMemory<uint>)e)]);

        int[] contributors = [.. Enumerable.Range(1, n).Where(p => settings.DropoutPhase != BeforeMasking || !dropped.Contains(new ParticipantIndex(p)))];
        bool correct = false;
        long decodeTicks = 0;
        if (round.Outcome is SecureAggregationOutcome.Succeeded succeeded)
        {
            uint[] expected = new uint[d];
            foreach (int p in contributors)
            {
                TensorPrimitives.Add(expected, encoded[p - 1], expected);
            }

            float[] decoded = new float[d];
            long started = Stopwatch.GetTimestamp();
            codec.DecodeSum(succeeded.Result.Sum, decoded);
            decodeTicks = Stopwatch.GetTimestamp() - started;
            correct = succeeded.Result.Sum.AsSpan().SequenceEqual(expected)
                && succeeded.Result.Contributors.Select(c => c.Value).SequenceEqual(contributors);
        }

        TimeSpan plain = PlainRound(updates, contributors);
        MaskThroughput throughput = MaskThroughputProbe.Measure(d, TimeSpan.FromMilliseconds(300));
        return new BenchResult(
            round,
            correct,
            Stopwatch.GetElapsedTime(0, quantiseTicks / n),
            Stopwatch.GetElapsedTime(0, decodeTicks),
            plain,
            throughput,
            round.Outcome is SecureAggregationOutcome.Failed failed ? failed.Failure : null);
    }

    /// <summary>The same round without secure aggregation: the server sums the contributors' float vectors (best of 5).</summary>
    private static TimeSpan PlainRound(float[][] updates, int[] contributors)
    {
        float[] sum = new float[updates[0].Length];
        TimeSpan best = TimeSpan.MaxValue;
        for (int repeat = 0; repeat < 5; repeat++)
        {
            long started = Stopwatch.GetTimestamp();
            Array.Clear(sum);
            foreach (int p in contributors)
            {
                TensorPrimitives.Add(sum, updates[p - 1], sum);
            }

            TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
            best = elapsed < best ? elapsed : best;
        }

        return best;
    }

    private static string ToTable(BenchSettings settings, BenchResult result)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder text = new();
        text.AppendLine(c, $"SecAgg bench: n = {settings.Sites}, D = {settings.Dim}, {(settings.Neighbours is int k ? $"SecAgg+ k = {k}" : "complete graph")}, t = {settings.Threshold}, dropout {settings.Dropout:P0} {settings.DropoutPhase}");
        text.AppendLine(c, $"{"phase",-22}{"sites",7}{"mean/site ms",14}{"max/site ms",13}{"server ms",11}{"bytes/site",12}");
        foreach (SecAggPhaseTiming phase in result.Round.Phases)
        {
            text.AppendLine(c, $"{phase.Stage,-22}{phase.ActiveClients,7}{phase.MeanClientTime.TotalMilliseconds,14:F2}{phase.MaxClientTime.TotalMilliseconds,13:F2}{phase.ServerTime.TotalMilliseconds,11:F2}{phase.MeanClientBytesSent,12:F0}");
        }

        text.AppendLine(c, $"{"total",-22}{"",7}{result.Round.MeanClientTime.TotalMilliseconds,14:F2}{"",13}{result.Round.ServerTime.TotalMilliseconds,11:F2}{result.Round.MeanClientBytesSent,12:F0}");
        text.AppendLine(c, $"quantise per site {result.QuantisePerSite.TotalMilliseconds:F2} ms, decode at server {result.Decode.TotalMilliseconds:F2} ms");
        text.AppendLine(c, $"round latency (slowest site + server per phase): {result.Round.CriticalPath.TotalMilliseconds:F1} ms; plain round (sum of float vectors): {result.Plain.TotalMilliseconds:F2} ms");
        text.AppendLine(c, $"mask expansion {result.Throughput.MaskBytesPerSecond / 1e9:F2} GB/s = {result.Throughput.Efficiency:P0} of raw AES-256 keystream {result.Throughput.CipherBytesPerSecond / 1e9:F2} GB/s");
        text.AppendLine(c, $"sum correct: {(result.SumCorrect ? "yes" : "NO")}{(result.Failure is { } f ? $" ({f.Error} at {f.Stage}: {f.Detail})" : string.Empty)}");
        return text.ToString();
    }

    private static string ToJson(BenchSettings settings, BenchResult result)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter writer = new(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("sites", settings.Sites);
            writer.WriteNumber("dim", settings.Dim);
            writer.WriteNumber("dropout", settings.Dropout);
            writer.WriteNumber("neighbours", settings.Neighbours ?? (settings.Sites - 1));
            writer.WriteBoolean("sum_correct", result.SumCorrect);
            writer.WriteNumber("client_ms", result.Round.MeanClientTime.TotalMilliseconds);
            writer.WriteNumber("server_ms", result.Round.ServerTime.TotalMilliseconds);
            writer.WriteNumber("secagg_round_ms", result.Round.CriticalPath.TotalMilliseconds);
            writer.WriteNumber("plain_round_ms", result.Plain.TotalMilliseconds);
            writer.WriteNumber("client_bytes", result.Round.MeanClientBytesSent);
            writer.WriteNumber("mask_bytes_per_s", result.Throughput.MaskBytesPerSecond);
            writer.WriteNumber("cipher_bytes_per_s", result.Throughput.CipherBytesPerSecond);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + Environment.NewLine;
    }

    private sealed record BenchSettings(int Sites, int Dim, double Dropout, int? Neighbours, string DropoutPhase, ulong? Seed)
    {
        /// <summary>The semi-honest default ⌊m/2⌋ + 1 for m holders (n, or k + 1 with SecAgg+).</summary>
        public int Threshold => ((Neighbours is int k ? k + 1 : Sites) / 2) + 1;

        public string? Validate()
        {
            if (Sites < 3)
            {
                return $"--sites must be at least 3 (with fewer, the sum reveals the inputs), got {Sites}.";
            }

            if (Dim < 1 || Dim > SecAggSessionOptions.MaxVectorLength)
            {
                return $"--dim must be in [1, {SecAggSessionOptions.MaxVectorLength}], got {Dim}.";
            }

            if (!(Dropout >= 0 && Dropout < 1))
            {
                return $"--dropout must be in [0, 1), got {Dropout.ToString(CultureInfo.InvariantCulture)}.";
            }

            if (Neighbours is int k && (k < 2 || k % 2 != 0 || k >= Sites - 1))
            {
                return $"--neighbours must be an even number in [2, {Sites - 2}] (omit it for the complete graph), got {k}.";
            }

            return null;
        }
    }

    private sealed record BenchResult(
        SecAggSimulationResult Round,
        bool SumCorrect,
        TimeSpan QuantisePerSite,
        TimeSpan Decode,
        TimeSpan Plain,
        MaskThroughput Throughput,
        SecAggFailure? Failure);
}
