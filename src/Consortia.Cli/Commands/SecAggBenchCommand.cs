using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Federation.Benchmarking;
using Consortia.SecureAggregation.Protocol;
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
    private const string MaliciousServer = "malicious-server";
    private const string SemiHonest = "semi-honest";

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
        Option<string> mode = new("--mode")
        {
            Description = "The threat model: malicious-server (as deployed and simulated: signed advertisements, consistency check) or semi-honest (for comparison).",
            DefaultValueFactory = _ => MaliciousServer,
        };
        mode.AcceptOnlyFromAmong(MaliciousServer, SemiHonest);
        Command command = new("secagg", "Measures one secure-aggregation round (SecAgg/SecAgg+): per-phase site and server time, bytes per site, against a plain round and raw AES throughput.")
        {
            sites, dim, dropout, neighbours, phase, seed, json, mode,
        };
        command.SetAction(parse => Run(
            new BenchSettings(parse.GetValue(sites), parse.GetValue(dim), parse.GetValue(dropout), parse.GetValue(neighbours), parse.GetValue(phase) ?? AfterMasking, parse.GetValue(seed), parse.GetValue(mode) ?? MaliciousServer),
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

        SecAggBenchmarkResult result = SecAggBenchmark.Measure(settings.ToBenchmark());
        stdout.Write(json ? ToJson(settings, result) : ToTable(settings, result));
        return result.SumCorrect ? 0 : 1;
    }

    private static string ToTable(BenchSettings settings, SecAggBenchmarkResult result)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder text = new();
        text.AppendLine(c, $"SecAgg bench: n = {settings.Sites}, D = {settings.Dim}, {(settings.Neighbours is int k ? $"SecAgg+ k = {k}" : "complete graph")}, t = {settings.ToBenchmark().Threshold}, {settings.Mode}, dropout {settings.Dropout:P0} {settings.DropoutPhase}");
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

    private static string ToJson(BenchSettings settings, SecAggBenchmarkResult result)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter writer = new(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("sites", settings.Sites);
            writer.WriteNumber("dim", settings.Dim);
            writer.WriteNumber("dropout", settings.Dropout);
            writer.WriteNumber("neighbours", settings.Neighbours ?? (settings.Sites - 1));
            writer.WriteString("mode", settings.Mode);
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

    private sealed record BenchSettings(int Sites, int Dim, double Dropout, int? Neighbours, string DropoutPhase, ulong? Seed, string Mode)
    {
        public SecAggBenchmarkSettings ToBenchmark() => new(Sites, Dim, Dropout, Neighbours, DropoutPhase == BeforeMasking, Seed)
        {
            Mode = Mode == SemiHonest ? SecAggSecurityMode.SemiHonest : SecAggSecurityMode.MaliciousServer,
        };

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
}
