using Consortia.Assurance.Fairness;
using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Network.Configuration;
using Consortia.Network.Node;
using Consortia.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Network.Tests.Nodes;

/// <summary>
/// A deployed site's fairness audit of a Cox job (TCGA-BRCA, by age band): the node takes part in round 1, then answers
/// the audit of the round's model with the survival layout's counts of its own test data (event and comparable-pair
/// counts per group, cells below its policy's minimum cleared) — the same vector the simulation's code gives.
/// </summary>
[Trait("Category", "Slow")] // trains a Cox round on a TCGA-BRCA centre (~6 s)
public sealed class SiteSurvivalAuditTests : IDisposable
{
    private const string Run = "run-cox";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task CoxAudit_ByAgeBand_ReleasesTheSurvivalCountsOfTheSitesOwnTestData()
    {
        CancellationToken cancel = TestContext.Current.CancellationToken;
        string yaml = (await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "tcga-brca", "fedavg.yaml"), cancel))
            .Replace("../../data/fed-tcga-brca", RepositoryPaths.Combine("data", "fed-tcga-brca"), StringComparison.Ordinal)
            + "\nfairness:\n  groups:\n    age_band: {column: age_at_index, bands: [50, 65]}\n";
        JobDefinition job = JobFile.Parse(yaml, _dir.File("job.yaml"));
        FederatedDataset data = FederatedDataLoader.Load(job.Data, _dir.File("cache"));
        string[] sites = [.. data.Sites.Select(s => s.Name).Order(StringComparer.Ordinal)];
        SiteData own = data.Sites.MaxBy(s => s.Test.Count)!;
        NodeConfig config = new()
        {
            Site = own.Name,
            Coordinator = "https://127.0.0.1:1",
            Policy = RepositoryPaths.Combine("examples", "policies", "tcga-brca-research.yaml"),
            State = _dir.File("state"),
            Data = new NodeDataConfig { Path = RepositoryPaths.Combine("data", "fed-tcga-brca"), Site = own.Name, Sensitive = ["age_at_index"] },
        };
        using SiteJobHandler handler = new(config, TimeProvider.System, NullLogger.Instance);

        // The run as the site sees it: it accepts the job, trains round 1 and evaluates the round's model.
        JobReadiness ready = await handler.PrepareJobAsync(Run, yaml, cancel);
        Assert.True(ready.Accepted, ready.Message);
        ModelSpec spec = job.ModelFor(ready.FeatureCount);
        ParameterVector global = new(spec.CreateLayout());
        string sha = Sha256Hex.OfText(yaml);
        TrainingCompleted trained = Assert.IsType<TrainingCompleted>(await handler.HandleAsync(Run, new TrainTask(handler.Site, new RoundNumber(1), global, job.Training) { Participants = sites.Length, JobSha256 = sha }, cancel));
        ParameterVector model = global.Clone();
        System.Numerics.Tensors.TensorPrimitives.Add(model.Values, trained.Update.WeightedDelta.Values, model.Values);
        Assert.IsType<EvaluationCompleted>(await handler.HandleAsync(Run, new EvaluateTask(handler.Site, new RoundNumber(1), model) { Contributors = sites.Length, JobSha256 = sha }, cancel));
        handler.EndJob(Run);

        FairnessAuditTask task = new(handler.Site, new RoundNumber(1), Run, yaml, model, ["age_band"], sites, 0.5f) { JobSha256 = sha };
        FairnessCountsReleased released = Assert.IsType<FairnessCountsReleased>(await handler.HandleAsync("audit-cox", task, cancel));

        // Expected: the simulation's survival counts of the same site's test data and model, cells under 10 cleared.
        FairnessAudit audit = new(job.Fairness!.Groups, sites);
        float[] risks = new float[own.Test.Count];
        spec.CreateModel(own.Test.Count).Predict(model.Values, own.Test.Features, risks);
        SiteFairnessCounts expected = SurvivalFairnessCounts.Compute(audit, own.Name, risks, own.Test.Times, own.Test.Labels, SiteFairnessCounts.GroupsOf(job.Fairness.Groups, own, own.Test), minimumCellCount: 10);
        long[] sent = [.. released.Counts];
        Assert.Equal([.. expected.Counts], sent);
        Assert.Contains(sent, c => c > 0);
        Assert.DoesNotContain(expected.Suppressed, c => c.Attribute == FairnessAudit.SiteAttribute); // its own site cell (its whole test set) is released
    }
}
