using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Consortia.Data;
using Consortia.Data.Contracts;
using Consortia.EndToEnd.Tests.Support;
using Consortia.Federation.Fairness;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Learning;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests;

/// <summary>
/// Group reweighting (fairness.reweighting) in a deployed job: four hospital processes over mutual TLS release their
/// (group, label) training counts only masked in a SecAgg+ session, the coordinator sends the sum with the training
/// tasks, and each hospital checks it, computes the weights itself and resamples its own records to exactly the size
/// the simulation's reweighting gives for the same summed counts (which records are drawn is the hospital's own).
/// </summary>
[Collection(EndToEndGroup.Name)]
[Trait("Category", "Slow")]
public sealed partial class ReweightingDeploymentTests
{
    private static readonly string[] s_hospitals = ["cleveland", "hungarian", "switzerland", "va"];

    private static async Task<Consortium> StartAsync()
    {
        Consortium consortium = await Consortium.ProvisionAsync();
        await consortium.StartCoordinatorAsync();
        foreach (string hospital in s_hospitals)
        {
            await consortium.EnrollAndStartNodeAsync(hospital);
        }

        return consortium;
    }

    /// <summary>The policed Heart job (secure aggregation), shortened to two rounds, reweighted by one declared group.</summary>
    private static async Task<string> JobFileAsync(Consortium consortium, string group, string reweighting)
    {
        string jobFile = Path.Combine(consortium.Root, "heart-reweighting.yaml");
        string yaml = (await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "examples", "heart-disease", "fedavg-policed.yaml"), TestContext.Current.CancellationToken))
            .Replace("../../data/fed-heart-disease", Path.Combine(RepositoryPaths.Root, "data", "fed-heart-disease"), StringComparison.Ordinal)
            .Replace("rounds: 15", "rounds: 2", StringComparison.Ordinal)
            .Replace("default: ../policies/", "default: " + Path.Combine(RepositoryPaths.Root, "examples", "policies") + "/", StringComparison.Ordinal)
            + $"\nfairness:\n  groups:\n    {group}\n  reweighting: {reweighting}\n";
        await File.WriteAllTextAsync(jobFile, yaml, TestContext.Current.CancellationToken);
        return jobFile;
    }

    [Fact]
    public async Task DeployedJob_ReweightedByAColumnNoSiteDeclaresSensitive_FailsBeforeTraining_NamingTheSitesRule()
    {
        await using Consortium consortium = await StartAsync();
        // The hospitals declare sex and age sensitive (data.sensitive), not the fasting blood sugar.
        string jobFile = await JobFileAsync(consortium, "blood_sugar: {column: fbs, values: {normal: 0, high: 1}}", "blood_sugar");
        string jobId = await consortium.SubmitAsync(jobFile);

        (int code, string output) = await consortium.RunAsync(["job", "status", jobId, "--wait", "--timeout", "300", "--json", "--coordinator", $"https://127.0.0.1:{consortium.AdminPort}", "--home", consortium.Home]);

        Assert.True(code == 1, $"job status --wait should exit 1 for a failed job:\n{output}\n--- logs ---\n{consortium.Logs()}");
        using JsonDocument status = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        Assert.Equal("failed", status.RootElement.GetProperty("status").GetString());
        string message = status.RootElement.GetProperty("message").GetString()!;
        Assert.Contains("fairness.reweighting (blood_sugar)", message, StringComparison.Ordinal);
        Assert.All(s_hospitals, h => Assert.Contains($"{h} refused (reweighting-attribute)", message, StringComparison.Ordinal));
        Assert.Equal(0, status.RootElement.GetProperty("roundsCompleted").GetInt32());
        foreach (string hospital in s_hospitals)
        {
            Assert.Single(Events(Path.Combine(consortium.Root, "sites", hospital, "state", "ledger.db")).OfType<PolicyDecisionEvent>(),
                d => d.RunId == jobId && !d.Accepted && d.Rules.Any(r => r.Rule == "reweighting-attribute"));
        }
    }

    [Fact]
    public async Task DeployedJob_ReweightedBySex_WithSecureAggregation_Completes_AndEachSiteResamplesToTheSimulationsSize()
    {
        await using Consortium consortium = await StartAsync();

        // The policed Heart job (secure aggregation), shortened, reweighted by sex.
        string jobFile = await JobFileAsync(consortium, "sex: {column: sex, values: {female: 0, male: 1}}", "sex");
        string jobId = await consortium.SubmitAsync(jobFile);
        using (JsonDocument status = await consortium.WaitForJobAsync(jobId, TimeSpan.FromMinutes(5)))
        {
            Assert.True(status.RootElement.GetProperty("status").GetString() == "completed", $"{status.RootElement}\n--- logs ---\n{consortium.Logs()}");
        }

        // Expected: the simulation's reweighting of the same hospitals' data by the same summed counts.
        JobDefinition job = JobFile.Load(jobFile);
        FederatedDataset data = FederatedSimulation.LoadData(job);
        SensitiveVariable sex = job.Fairness!.Groups.Single();
        long[] total = new long[2 * sex.Groups.Length];
        foreach (SiteData site in data.Sites)
        {
            System.Numerics.Tensors.TensorPrimitives.Add(total, GroupReweighting.CellCounts(sex, site), total);
        }

        double[] weights = GroupReweighting.Weights(total);
        foreach (string hospital in s_hospitals)
        {
            SiteData own = data.Sites.Single(s => s.Name == hospital);
            int expected = GroupReweighting.Resample(sex, own, weights, new RandomSource(7)).Train.Count;
            RuleResult[] records = [.. Events(Path.Combine(consortium.Root, "sites", hospital, "state", "ledger.db")).OfType<PolicyDecisionEvent>()
                .Where(d => d.RunId == jobId).SelectMany(d => d.Rules).Where(r => r.Rule == "reweighting-counts")];

            // Released only masked (the hash of its masked input), then resampled once by the sum it checked.
            Assert.Single(records, r => MaskedRelease().IsMatch(r.Reason));
            Match resampled = Assert.Single(records.Select(r => Resampled().Match(r.Reason)), m => m.Success);
            (int before, int after) = (int.Parse(resampled.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(resampled.Groups[2].Value, CultureInfo.InvariantCulture));
            TestContext.Current.TestOutputHelper?.WriteLine($"{hospital}: {before} training records resampled to {after} (simulation: {expected})");
            Assert.Equal((own.Train.Count, expected), (before, after));
        }

        Assert.Contains(s_hospitals, h => data.Sites.Single(s => s.Name == h).Train.Count != GroupReweighting.Resample(sex, data.Sites.Single(s => s.Name == h), weights, new RandomSource(7)).Train.Count);
    }

    [GeneratedRegex(@"by 'sex' masked \(sha256 [0-9a-f]{64};")]
    private static partial Regex MaskedRelease();

    [GeneratedRegex(@"resampled its (\d+) training records to (\d+)")]
    private static partial Regex Resampled();

    private static IEnumerable<LedgerEvent> Events(string ledger) => LedgerReader.Read(ledger).Entries.Select(e => e.Event);
}
