using System.Text.Json;
using Consortia.EndToEnd.Tests.Support;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Learning.Metrics;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests;

/// <summary>
/// Two jobs at once on one coordinator and the same four hospital nodes (real processes, gRPC, mutual TLS,
/// secure aggregation): each job keeps its own rounds, and each ends exactly where its simulation ends.
/// </summary>
[Collection(EndToEndGroup.Name)]
public sealed class ConcurrentJobsDeploymentTests
{
    private static readonly string[] s_hospitals = ["cleveland", "hungarian", "switzerland", "va"];

    [Fact]
    [Trait("Category", "Slow")]
    public async Task TwoJobs_RunAtOnceOnFourNodes_AndBothEqualTheirSimulations()
    {
        await using Consortium consortium = await Consortium.ProvisionAsync();
        await consortium.StartCoordinatorAsync();
        foreach (string hospital in s_hospitals)
        {
            await consortium.EnrollAndStartNodeAsync(hospital);
        }

        string first = Path.Combine(RepositoryPaths.Root, "examples", "heart-disease", "fedavg-policed.yaml");
        string second = await WriteVariantAsync(first, consortium.Root);
        string firstId = await consortium.SubmitAsync(first);
        string secondId = await consortium.SubmitAsync(second);
        using JsonDocument firstStatus = await consortium.WaitForJobAsync(firstId, TimeSpan.FromMinutes(10));
        using JsonDocument secondStatus = await consortium.WaitForJobAsync(secondId, TimeSpan.FromMinutes(10));
        (int listCode, string list) = await consortium.RunAsync(["job", "list", "--coordinator", $"https://127.0.0.1:{consortium.AdminPort}", "--home", consortium.Home]);

        // Both were running before either ended: the coordinator ran them side by side.
        string log = consortium.Coordinator!.Output;
        int lastStart = Math.Max(IndexOf(log, $"job {firstId} (heart-disease-policed) starting"), IndexOf(log, $"job {secondId} (heart-disease-policed-b) starting"));
        int firstEnd = Math.Min(IndexOf(log, $"job {firstId} ended"), IndexOf(log, $"job {secondId} ended"));
        Assert.True(lastStart < firstEnd, $"the second job started only after the first ended:\n{log}");
        Assert.Equal(0, listCode);
        Assert.Contains(list.Split('\n'), l => l.StartsWith(firstId, StringComparison.Ordinal) && l.Contains("completed", StringComparison.Ordinal) && l.Contains("15/15 rounds", StringComparison.Ordinal));
        Assert.Contains(list.Split('\n'), l => l.StartsWith(secondId, StringComparison.Ordinal) && l.Contains("completed", StringComparison.Ordinal) && l.Contains("15/15 rounds", StringComparison.Ordinal));
        await AssertEqualsSimulationAsync(first, firstStatus.RootElement);
        await AssertEqualsSimulationAsync(second, secondStatus.RootElement);
    }

    /// <summary>The policed job with another name and seed (so the two models differ), its paths made absolute.</summary>
    private static async Task<string> WriteVariantAsync(string jobFile, string folder)
    {
        string yaml = (await File.ReadAllTextAsync(jobFile, TestContext.Current.CancellationToken))
            .Replace("name: heart-disease-policed", "name: heart-disease-policed-b", StringComparison.Ordinal)
            .Replace("seed: 42", "seed: 7", StringComparison.Ordinal)
            .Replace("../../data/fed-heart-disease", Path.Combine(RepositoryPaths.Root, "data", "fed-heart-disease"), StringComparison.Ordinal)
            .Replace("../policies/heart-consortium-site.yaml", Path.Combine(RepositoryPaths.Root, "examples", "policies", "heart-consortium-site.yaml"), StringComparison.Ordinal);
        Assert.Contains("seed: 7", yaml, StringComparison.Ordinal);
        string path = Path.Combine(folder, "heart-policed-b.yaml");
        await File.WriteAllTextAsync(path, yaml, TestContext.Current.CancellationToken);
        return path;
    }

    private static async Task AssertEqualsSimulationAsync(string jobFile, JsonElement status)
    {
        SimulationResult simulated = await FederatedSimulation.RunAsync(JobFile.Load(jobFile), null, null, TestContext.Current.CancellationToken);
        double expected = simulated.Final.Mean.Single(m => m.Kind == MetricKind.Accuracy).Value;
        Assert.Equal("completed", status.GetProperty("status").GetString());
        JsonElement[] rounds = [.. status.GetProperty("rounds").EnumerateArray()];
        Assert.Equal(Enumerable.Range(1, 15), rounds.Select(r => r.GetProperty("round").GetInt32()));
        Assert.All(rounds, r => Assert.Equal(4, r.GetProperty("participants").GetInt32()));
        double accuracy = rounds[^1].GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("kind").GetString() == "accuracy").GetProperty("mean").GetDouble();
        Assert.Equal(expected, accuracy, 12);
    }

    private static int IndexOf(string log, string text)
    {
        int at = log.IndexOf(text, StringComparison.Ordinal);
        Assert.True(at >= 0, $"the coordinator's log lacks '{text}':\n{log}");
        return at;
    }
}
