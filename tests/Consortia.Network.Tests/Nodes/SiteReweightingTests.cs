using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Fairness;
using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Network.Configuration;
using Consortia.Network.Node;
using Consortia.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Network.Tests.Nodes;

/// <summary>
/// A deployed site's side of group reweighting, with the coordinator as the adversary: it releases its (group, label)
/// training counts only by a column it declares sensitive (cells below its minimum cell count cleared when plain), and
/// trains only on a sum it can check — the first one pinned for the run — resampling its own records by the weights it
/// computes itself.
/// </summary>
public sealed class SiteReweightingTests : IDisposable
{
    private const string Run = "run-1";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // The plain FedAvg heart job, reweighted by sex; the research policy allows plain counts and sets min_cell_count 10.
    private static string JobYaml() =>
        File.ReadAllText(RepositoryPaths.Combine("examples", "heart-disease", "fedavg.yaml")).Replace("../../data/fed-heart-disease", RepositoryPaths.Combine("data", "fed-heart-disease"), StringComparison.Ordinal)
        + "\nfairness:\n  groups:\n    sex: {column: sex, values: {female: 0, male: 1}}\n  reweighting: sex\n";

    private NodeConfig Config(params string[] sensitive) => new()
    {
        Site = "switzerland",
        Coordinator = "https://127.0.0.1:1",
        Policy = RepositoryPaths.Combine("examples", "policies", "heart-disease-research.yaml"),
        State = _dir.File("state"),
        Data = new NodeDataConfig { Path = RepositoryPaths.Combine("data", "fed-heart-disease"), Site = "switzerland", Sensitive = [.. sensitive] },
    };

    private (JobDefinition Job, IReadOnlyList<SiteData> Sites) Data(string yaml)
    {
        JobDefinition job = JobFile.Parse(yaml, _dir.File("job.yaml"));
        return (job, FederatedDataLoader.Load(job.Data, _dir.File("cache")).Sites);
    }

    private static async Task<int> PrepareAsync(SiteJobHandler handler, string yaml)
    {
        JobReadiness ready = await handler.PrepareJobAsync(Run, yaml, TestContext.Current.CancellationToken);
        Assert.True(ready.Accepted, ready.Message);
        return ready.FeatureCount;
    }

    private static TrainTask Train(SiteJobHandler handler, string yaml, int features, int round, IReadOnlyList<long>? counts) =>
        new(handler.Site, new RoundNumber(round), new ParameterVector(new ModelSpec(ModelKind.Logistic, features, []).CreateLayout()), new LocalTrainingOptions { BatchSize = 4, LocalSteps = 2 })
        {
            Participants = 4,
            JobSha256 = Sha256Hex.OfText(yaml),
            ReweightingCounts = counts,
        };

    [Fact]
    public async Task Counts_AreReleasedPlainly_WithCellsBelowTheMinimumCleared_AndLedgered()
    {
        string yaml = JobYaml();
        using SiteJobHandler handler = new(Config("sex"), TimeProvider.System, NullLogger.Instance);
        await PrepareAsync(handler, yaml);

        SiteReply reply = await handler.HandleAsync(Run, new ReweightingCountTask(handler.Site, new RoundNumber(0)) { JobSha256 = Sha256Hex.OfText(yaml) }, TestContext.Current.CancellationToken);

        (JobDefinition job, IReadOnlyList<SiteData> sites) = Data(yaml);
        long[] held = GroupReweighting.CellCounts(job.Fairness!.Groups[0], sites.Single(s => s.Name == "switzerland"));
        long[] released = [.. Assert.IsType<FairnessCountsReleased>(reply).Counts];
        Assert.Equal(held.Select(c => c < 10 ? 0 : c), released);
        Assert.Contains(held, c => c is > 0 and < 10); // Switzerland's few women: the clearing is exercised
        PolicyDecisionEvent entry = Assert.Single(Events().OfType<PolicyDecisionEvent>(), d => d.Rules.Any(r => r.Rule == SiteReweighting.ReleaseRule));
        Assert.True(entry.Accepted);
        Assert.Contains(UpdateHash.Of([.. released.Select(c => (uint)c)]), entry.Rules[0].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Counts_ByAColumnTheSiteDoesNotDeclareSensitive_AreRefusedAndLedgered()
    {
        string yaml = JobYaml();
        using SiteJobHandler handler = new(Config("age"), TimeProvider.System, NullLogger.Instance);
        await PrepareAsync(handler, yaml);

        Refused refused = Assert.IsType<Refused>(await handler.HandleAsync(Run, new ReweightingCountTask(handler.Site, new RoundNumber(0)) { JobSha256 = Sha256Hex.OfText(yaml) }, TestContext.Current.CancellationToken));

        Assert.Equal(SiteReweighting.AttributeRule, refused.Rule);
        Assert.Contains("'sex'", refused.Reason, StringComparison.Ordinal);
        Assert.Single(Events().OfType<PolicyDecisionEvent>(), d => !d.Accepted && d.Rules.Any(r => r.Rule == SiteReweighting.AttributeRule));
    }

    [Fact]
    public async Task Training_ResamplesByTheSitesOwnWeights_OnceThePinnedSumChecksOut_AndRefusesAnotherSumLater()
    {
        string yaml = JobYaml();
        SiteJobHandler handler = new(Config("sex"), TimeProvider.System, NullLogger.Instance);
        int features = await PrepareAsync(handler, yaml);
        (JobDefinition job, IReadOnlyList<SiteData> sites) = Data(yaml);
        // Switzerland's own counts plus other sites' with another mix of sex and outcome, so its weights are far from 1.
        SiteData own = sites.Single(s => s.Name == "switzerland");
        long[] sum = GroupReweighting.CellCounts(job.Fairness!.Groups[0], own);
        System.Numerics.Tensors.TensorPrimitives.Add(sum, [120, 40, 30, 150], sum);

        // Without the sum the site does not train (the job it accepted asks for the mitigation).
        Refused none = Assert.IsType<Refused>(await handler.HandleAsync(Run, Train(handler, yaml, features, 1, null), TestContext.Current.CancellationToken));
        Assert.Equal(ReweightingSumCheck.SumRule, none.Rule);

        TrainingCompleted trained = Assert.IsType<TrainingCompleted>(await handler.HandleAsync(Run, Train(handler, yaml, features, 1, sum), TestContext.Current.CancellationToken));

        // The resampled size is fixed by the sum (which records are drawn is the site's secret): the simulation's resampling gives it.
        int expected = GroupReweighting.Resample(job.Fairness!.Groups[0], own, GroupReweighting.Weights(sum), new RandomSource(1)).Train.Count;
        Assert.NotEqual(own.Train.Count, expected);
        Assert.Equal(expected, trained.Update.Weight);
        string resampled = Assert.Single(Events().OfType<PolicyDecisionEvent>().SelectMany(d => d.Rules), r => r.Passed && r.Rule == SiteReweighting.ReleaseRule).Reason;
        Assert.Contains($"resampled its {own.Train.Count} training records to {expected}", resampled, StringComparison.Ordinal);
        Assert.Contains("cryptographic", resampled, StringComparison.Ordinal);

        // A later round with another (still self-consistent) sum: refused, the first sum is pinned for the run.
        long[] other = [.. sum];
        other[0] += 1;
        Refused changed = Assert.IsType<Refused>(await handler.HandleAsync(Run, Train(handler, yaml, features, 2, other), TestContext.Current.CancellationToken));
        Assert.Equal(ReweightingSumCheck.PinRule, changed.Rule);
        Assert.Single(Events().OfType<PolicyDecisionEvent>(), d => !d.Accepted && d.Rules.Any(r => r.Rule == ReweightingSumCheck.PinRule));

        // The pin outlives the node: a restarted node refuses the changed sum before resampling anything.
        handler.Dispose(); // the node stops (its ledger closes) before it starts again
        using SiteJobHandler restarted = new(Config("sex"), TimeProvider.System, NullLogger.Instance);
        await PrepareAsync(restarted, yaml);
        Assert.Equal(ReweightingSumCheck.PinRule, Assert.IsType<Refused>(await restarted.HandleAsync(Run, Train(restarted, yaml, features, 2, other), TestContext.Current.CancellationToken)).Rule);

        // With the pinned sum it resamples again after the restart, and draws the same records: the draw's seed is pinned too.
        Assert.IsType<TrainingCompleted>(await restarted.HandleAsync(Run, Train(restarted, yaml, features, 2, sum), TestContext.Current.CancellationToken));
        string[] draws = [.. Events().OfType<PolicyDecisionEvent>().SelectMany(d => d.Rules).Where(r => r.Passed && r.Rule == SiteReweighting.ReleaseRule && r.Reason.Contains("resampled its", StringComparison.Ordinal))
            .Select(r => r.Reason[r.Reason.IndexOf("resampled records sha256 ", StringComparison.Ordinal)..])];
        Assert.Equal(2, draws.Length);
        Assert.Equal(draws[0], draws[1]);
    }

    [Fact]
    public async Task SummedCounts_ForAJobThatDoesNotReweight_AreRefused_AndCountingIsRefusedToo()
    {
        string yaml = JobYaml().Replace("  reweighting: sex\n", "", StringComparison.Ordinal);
        using SiteJobHandler handler = new(Config("sex"), TimeProvider.System, NullLogger.Instance);
        int features = await PrepareAsync(handler, yaml);

        Refused train = Assert.IsType<Refused>(await handler.HandleAsync(Run, Train(handler, yaml, features, 1, [1, 1, 1, 1]), TestContext.Current.CancellationToken));
        Refused count = Assert.IsType<Refused>(await handler.HandleAsync(Run, new ReweightingCountTask(handler.Site, new RoundNumber(0)) { JobSha256 = Sha256Hex.OfText(yaml) }, TestContext.Current.CancellationToken));

        Assert.Equal((ReweightingSumCheck.SumRule, SiteReweighting.JobRule), (train.Rule, count.Rule));
        Assert.DoesNotContain(Events().OfType<PolicyDecisionEvent>().SelectMany(d => d.Rules), r => r.Passed && r.Rule == SiteReweighting.ReleaseRule);
    }

    private IEnumerable<LedgerEvent> Events() => LedgerReader.Read(Path.Combine(_dir.File("state"), "ledger.db")).Entries.Select(e => e.Event);
}
