using System.Text.Json;
using Consortia.Cli.Deployment;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests;

/// <summary>
/// <c>consortia bench deployment</c> in CI size: a real coordinator process and 8 enrolled nodes over mutual-TLS gRPC run
/// 3 rounds; the JSON has the fields docs/benchmarks.md documents and every round aggregated all 8 nodes.
/// </summary>
[Collection(EndToEndGroup.Name)]
[Trait("Category", "Slow")]
public sealed class BenchDeploymentTests
{
    [Fact]
    public async Task BenchDeployment_EightNodesThreeRounds_EveryRoundHasEveryNode_AndTheJsonIsAsDocumented()
    {
        (int code, string output) = await ConsortiaProcess.RunAsync(
            ["bench", "deployment", "--nodes", "8", "--rounds", "3", "--timeout", "10m", "--json"],
            TimeSpan.FromMinutes(11), RepositoryPaths.Root, null, TestContext.Current.CancellationToken);

        Assert.True(code == 0, output);
        using JsonDocument json = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        JsonElement root = json.RootElement;
        Assert.Equal(8, root.GetProperty("nodes").GetInt32());
        Assert.Equal(3, root.GetProperty("rounds").GetInt32());
        Assert.Equal("completed", root.GetProperty("status").GetString());
        Assert.Equal(3, root.GetProperty("rounds_completed").GetInt32());
        Assert.True(root.GetProperty("every_round_full").GetBoolean());
        Assert.Equal([8, 8, 8], root.GetProperty("participants_per_round").EnumerateArray().Select(p => p.GetInt32()));
        Assert.True(root.GetProperty("rows_per_node").GetInt32() >= 24);

        JsonElement latency = root.GetProperty("round_ms");
        double p50 = latency.GetProperty("p50").GetDouble();
        double p99 = latency.GetProperty("p99").GetDouble();
        Assert.InRange(p50, 0.001, 600_000);
        Assert.InRange(p99, p50, latency.GetProperty("max").GetDouble());

        JsonElement coordinator = root.GetProperty("coordinator");
        Assert.True(coordinator.GetProperty("cpu_seconds").GetDouble() > 0, "the coordinator did work during the job");
        foreach (string memory in new[] { "working_set_bytes", "managed_heap_bytes" })
        {
            JsonElement growth = coordinator.GetProperty(memory);
            long start = growth.GetProperty("start").GetInt64();
            long end = growth.GetProperty("end").GetInt64();
            Assert.True(start > 0 && end > 0, $"{memory}: {growth}");
            Assert.Equal(end - start, growth.GetProperty("growth").GetInt64());
        }

        JsonElement wall = root.GetProperty("wall_seconds");
        Assert.True(wall.GetProperty("total").GetDouble() >= wall.GetProperty("setup").GetDouble() + wall.GetProperty("job").GetDouble() - 0.001);
        Assert.Equal(Environment.ProcessorCount, root.GetProperty("machine").GetProperty("cores").GetInt32());

        // Every field the command writes is documented (docs/benchmarks.md, "Deployment").
        string docs = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "docs", "benchmarks.md"), TestContext.Current.CancellationToken);
        foreach (string field in Fields(root, ""))
        {
            Assert.Contains($"`{field}`", docs, StringComparison.Ordinal);
        }
    }

    /// <summary>Dotted names of every field, e.g. <c>round_ms.p50</c>.</summary>
    private static IEnumerable<string> Fields(JsonElement element, string prefix) =>
        element.EnumerateObject().SelectMany(p =>
            p.Value.ValueKind == JsonValueKind.Object ? Fields(p.Value, prefix + p.Name + ".").Prepend(prefix + p.Name) : [prefix + p.Name]);
}
