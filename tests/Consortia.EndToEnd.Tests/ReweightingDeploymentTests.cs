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

    [Fact]
    public async Task DeployedJob_ReweightedBySex_WithSecureAggregation_Completes_AndEachSiteResamplesToTheSimulationsSize()
    {
        await using Consortium consortium = await Consortium.ProvisionAsync();
        await consortium.StartCoordinatorAsync();
        foreach (string hospital in s_hospitals)
        {
            await consortium.EnrollAndStartNodeAsync(hospital);
        }

        // The policed Heart job (secure aggregation), shortened, reweighted by sex.
        string jobFile = Path.Combine(consortium.Root, "heart-reweighting.yaml");
        string yaml = (await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "examples", "heart-disease", "fedavg-policed.yaml"), TestContext.Current.CancellationToken))
            .Replace("../../data/fed-heart-disease", Path.Combine(RepositoryPaths.Root, "data", "fed-heart-disease"), StringComparison.Ordinal)
            .Replace("rounds: 15", "rounds: 2", StringComparison.Ordinal)
            .Replace("default: ../policies/", "default: " + Path.Combine(RepositoryPaths.Root, "examples", "policies") + "/", StringComparison.Ordinal)
            + "\nfairness:\n  groups:\n    sex: {column: sex, values: {female: 0, male: 1}}\n  reweighting: sex\n";
        await File.WriteAllTextAsync(jobFile, yaml, TestContext.Current.CancellationToken);
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
