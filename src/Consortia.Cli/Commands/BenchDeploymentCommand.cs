using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Consortia.Cli.Deployment;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia bench deployment --nodes N --rounds R [--json]</c>: a real coordinator process and N real nodes over
/// mutual-TLS gRPC on loopback run a job; reports round latency (p50/p99), the coordinator's CPU time and memory growth,
/// and wall time. See docs/benchmarks.md, "Deployment".
/// </summary>
internal static class BenchDeploymentCommand
{
    public static Command Create()
    {
        Option<int> nodes = new("--nodes") { Description = "How many site nodes (each enrolled with its own certificate).", DefaultValueFactory = _ => 100 };
        Option<int> rounds = new("--rounds") { Description = "How many rounds the job runs.", DefaultValueFactory = _ => 50 };
        Option<string> data = new("--data")
        {
            Description = "The Fed-Heart-Disease folder whose rows are spread over the nodes (default data/fed-heart-disease).",
            DefaultValueFactory = _ => Path.Combine("data", "fed-heart-disease"),
        };
        Option<string?> contract = new("--contract") { Description = "The CSV's data contract (default: contracts/heart-disease-sites.yaml beside the data folder)." };
        Option<string> timeout = new("--timeout") { Description = "How long setup and the job may take, e.g. 30m.", DefaultValueFactory = _ => "60m" };
        Option<bool> json = new("--json") { Description = "Prints one JSON object (fields in docs/benchmarks.md) instead of the table." };
        Command command = new("deployment", "Runs a coordinator process and N nodes over mutual-TLS gRPC on loopback through a job: round latency, coordinator CPU and memory growth.")
        {
            nodes, rounds, data, contract, timeout, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output;
            TextWriter stderr = parse.InvocationConfiguration.Error;
            string dataFolder = Path.GetFullPath(parse.GetRequiredValue(data));
            string contractFile = Path.GetFullPath(parse.GetValue(contract) ?? Path.Combine(dataFolder, "..", "contracts", "heart-disease-sites.yaml"));
            TimeSpan limit;
            try
            {
                limit = Network.Identity.IdentityDuration.Parse(parse.GetRequiredValue(timeout));
            }
            catch (Network.Identity.IdentityException e)
            {
                await stderr.WriteLineAsync($"error: --timeout: {e.Message}").ConfigureAwait(false);
                return 2;
            }

            DeploymentBenchSettings settings = new(parse.GetValue(nodes), parse.GetValue(rounds), dataFolder, contractFile, limit);
            if (settings.Validate() is { } problem)
            {
                await stderr.WriteLineAsync($"error: {problem}").ConfigureAwait(false);
                return 2;
            }

            try
            {
                DeploymentBenchResult result = await DeploymentBench.RunAsync(settings, new Progress<string>(line => stderr.WriteLine(line)), TimeProvider.System, cancellationToken).ConfigureAwait(false);
                await stdout.WriteAsync(parse.GetValue(json) ? ToJson(result) : ToTable(result)).ConfigureAwait(false);
                return result.EveryRoundFull ? 0 : 1;
            }
            catch (Exception e) when (e is LocalDeploymentException or TimeoutException)
            {
                await stderr.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }

    private static string ToTable(DeploymentBenchResult r)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder text = new();
        text.AppendLine(c, $"deployment bench: {r.Settings.Nodes} node(s), {r.Settings.Rounds} round(s), {r.RowsPerNode} heart-disease rows per node ({r.DistinctRows} distinct), {Environment.ProcessorCount} core(s), load {r.LoadAverageAtStart:F2} → {r.LoadAverageAtEnd:F2}");
        text.AppendLine(c, $"job: {r.Status}{(r.Message.Length > 0 ? $" ({r.Message})" : "")}; {r.ParticipantsPerRound.Count} round(s) committed, every one with all nodes: {(r.EveryRoundFull ? "yes" : "NO")}");
        text.AppendLine(c, $"round latency: p50 {r.Percentile(50):F1} ms, p99 {r.Percentile(99):F1} ms, max {r.RoundMilliseconds.DefaultIfEmpty(double.NaN).Max():F1} ms");
        text.AppendLine(c, $"coordinator: CPU {r.CoordinatorCpu.TotalSeconds:F2} s over the job ({r.CoordinatorCpu.TotalMilliseconds / Math.Max(1, r.ParticipantsPerRound.Count):F1} ms per round)");
        text.AppendLine(c, $"coordinator memory: working set {Mib(r.WorkingSet.Start)} → {Mib(r.WorkingSet.End)} MiB ({Mib(r.WorkingSet.Delta):+0.0;-0.0} MiB), managed heap {Mib(r.ManagedHeap.Start)} → {Mib(r.ManagedHeap.End)} MiB ({Mib(r.ManagedHeap.Delta):+0.0;-0.0} MiB)");
        text.AppendLine(c, $"wall time: setup {r.Setup.TotalSeconds:F1} s, job {r.Job.TotalSeconds:F1} s, total {r.Total.TotalSeconds:F1} s");
        return text.ToString();
    }

    private static double Mib(long bytes) => Math.Round(bytes / 1048576.0, 1);

    /// <summary>The JSON form; every field is documented in docs/benchmarks.md (keep the two in step).</summary>
    private static string ToJson(DeploymentBenchResult r)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter writer = new(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("nodes", r.Settings.Nodes);
            writer.WriteNumber("rounds", r.Settings.Rounds);
            writer.WriteNumber("rows_per_node", r.RowsPerNode);
            writer.WriteNumber("distinct_rows", r.DistinctRows);
            writer.WriteString("status", r.Status);
            writer.WriteString("message", r.Message);
            writer.WriteNumber("rounds_completed", r.ParticipantsPerRound.Count);
            writer.WriteBoolean("every_round_full", r.EveryRoundFull);
            writer.WriteStartArray("participants_per_round");
            foreach (int p in r.ParticipantsPerRound)
            {
                writer.WriteNumberValue(p);
            }

            writer.WriteEndArray();
            writer.WriteStartObject("round_ms");
            writer.WriteNumber("p50", r.Percentile(50));
            writer.WriteNumber("p99", r.Percentile(99));
            writer.WriteNumber("max", r.RoundMilliseconds.DefaultIfEmpty(0).Max());
            writer.WriteNumber("mean", r.RoundMilliseconds.DefaultIfEmpty(0).Average());
            writer.WriteEndObject();
            writer.WriteStartObject("coordinator");
            writer.WriteNumber("cpu_seconds", r.CoordinatorCpu.TotalSeconds);
            WriteGrowth(writer, "working_set_bytes", r.WorkingSet);
            WriteGrowth(writer, "managed_heap_bytes", r.ManagedHeap);
            writer.WriteEndObject();
            writer.WriteStartObject("wall_seconds");
            writer.WriteNumber("setup", r.Setup.TotalSeconds);
            writer.WriteNumber("job", r.Job.TotalSeconds);
            writer.WriteNumber("total", r.Total.TotalSeconds);
            writer.WriteEndObject();
            writer.WriteStartObject("machine");
            writer.WriteNumber("cores", Environment.ProcessorCount);
            WriteNumberOrNull(writer, "load_start", r.LoadAverageAtStart);
            WriteNumberOrNull(writer, "load_end", r.LoadAverageAtEnd);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + Environment.NewLine;
    }

    private static void WriteGrowth(Utf8JsonWriter writer, string name, Growth growth)
    {
        writer.WriteStartObject(name);
        writer.WriteNumber("start", growth.Start);
        writer.WriteNumber("end", growth.End);
        writer.WriteNumber("growth", growth.Delta);
        writer.WriteEndObject();
    }

    private static void WriteNumberOrNull(Utf8JsonWriter writer, string name, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumber(name, value);
        }
        else
        {
            writer.WriteNull(name);
        }
    }
}
