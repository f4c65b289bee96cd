using Consortia.Assurance.Fairness;
using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Network.Configuration;
using Consortia.Network.Node;
using Consortia.Network.Protos;
using Consortia.Network.Transport;
using Consortia.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Network.Tests.Nodes;

/// <summary>
/// A deployed site's side of a fairness audit: it answers only for a job run its own ledger shows it accepted and
/// trained in, only by columns it declares sensitive, and what leaves it (the reply as it crosses the wire) carries
/// zeros for every cell below its policy's minimum cell count.
/// </summary>
public sealed class SiteFairnessAuditTests : IDisposable
{
    private const string Run = "run-1";
    private static readonly string[] s_sites = ["cleveland", "hungarian", "switzerland", "va"];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    // The plain FedAvg heart job with a fairness section; the research policy allows plain updates and sets min_cell_count 10.
    private static string JobYaml() =>
        File.ReadAllText(RepositoryPaths.Combine("examples", "heart-disease", "fedavg.yaml")).Replace("../../data/fed-heart-disease", RepositoryPaths.Combine("data", "fed-heart-disease"), StringComparison.Ordinal)
        + "\nfairness:\n  groups:\n    sex: {column: sex, values: {female: 0, male: 1}}\n    age_band: {column: age, bands: [55, 65]}\n  threshold: 0.5\n";

    private NodeConfig Config(params string[] sensitive) => Config(RepositoryPaths.Combine("examples", "policies", "heart-disease-research.yaml"), sensitive);

    private NodeConfig Config(string policy, string[] sensitive) => new()
    {
        Site = "switzerland",
        Coordinator = "https://127.0.0.1:1",
        Policy = policy,
        State = _dir.File("state"),
        Data = new NodeDataConfig { Path = RepositoryPaths.Combine("data", "fed-heart-disease"), Site = "switzerland", Sensitive = [.. sensitive] },
    };

    /// <summary>The site takes part in run <see cref="Run"/> for real: it prepares the job and trains round 1 (its ledger records both).</summary>
    private static async Task<ParameterVector> TrainRoundOneAsync(SiteJobHandler handler, string yaml)
    {
        JobReadiness ready = await handler.PrepareJobAsync(Run, yaml, TestContext.Current.CancellationToken);
        Assert.True(ready.Accepted, ready.Message);
        ParameterVector global = new(new ModelSpec(ModelKind.Logistic, ready.FeatureCount, []).CreateLayout());
        TrainTask task = new(handler.Site, new RoundNumber(1), global, new LocalTrainingOptions { BatchSize = 4, LocalSteps = 10 }) { Participants = 4, JobSha256 = Sha256Hex.OfText(yaml) };
        TrainingCompleted trained = Assert.IsType<TrainingCompleted>(await handler.HandleAsync(Run, task, TestContext.Current.CancellationToken));
        ParameterVector model = global.Clone();
        System.Numerics.Tensors.TensorPrimitives.Add(model.Values, trained.Update.WeightedDelta.Values, model.Values); // any trained model will do

        // The round's aggregate comes back for evaluation: the site records its SHA-256 at receipt, the only models it audits.
        EvaluateTask evaluate = new(handler.Site, new RoundNumber(1), model) { Contributors = 4, JobSha256 = Sha256Hex.OfText(yaml) };
        Assert.IsType<EvaluationCompleted>(await handler.HandleAsync(Run, evaluate, TestContext.Current.CancellationToken));
        handler.EndJob(Run); // the job has ended: the audit needs nothing prepared
        return model;
    }

    private static FairnessAuditTask Audit(SiteJobHandler handler, string run, string yaml, ParameterVector model, params string[] attributes) =>
        new(handler.Site, new RoundNumber(1), run, yaml, model, attributes, s_sites, 0.5f) { JobSha256 = Sha256Hex.OfText(yaml) };

    [Fact]
    public async Task Audit_SendsOnlyCountsOverTheWire_WithZerosForCellsBelowTheMinimumCellCount()
    {
        string yaml = JobYaml();
        using SiteJobHandler handler = new(Config("sex", "age"), TimeProvider.System, NullLogger.Instance);
        ParameterVector model = await TrainRoundOneAsync(handler, yaml);

        SiteReply reply = await handler.HandleAsync("audit-1", Audit(handler, Run, yaml, model, "sex", "age_band"), TestContext.Current.CancellationToken);

        // What crosses the wire: the reply encoded as the node pushes it, decoded as the coordinator reads it.
        WireItem<ReplyHeader> wire = WireCodec.Encode(reply, "item-1");
        Assert.Equal(ReplyHeader.ReplyOneofCase.FairnessCounts, wire.Header.ReplyCase);
        PayloadAssembler payload = new("item-1", WireCodec.Vectors(wire.Header), wire.Header.PayloadBytes);
        foreach (Chunk chunk in VectorPayload.Chunks("item-1", wire.Payload))
        {
            payload.Add(chunk);
        }

        long[] sent = [.. Assert.IsType<FairnessCountsReleased>(WireCodec.Decode(wire.Header, payload, handler.Site)).Counts];

        // The same site's counts computed directly with the simulation's code, without suppression.
        JobDefinition job = JobFile.Parse(yaml, _dir.File("job.yaml"));
        SiteData own = FederatedDataLoader.Load(job.Data, _dir.File("cache")).Sites.Single(s => s.Name == "switzerland");
        FairnessAudit audit = new(job.Fairness!.Groups, s_sites); // sex, age_band
        long[] full = [.. SiteFairnessCounts.Compute(audit, own, job.ModelFor(own.Test.FeatureCount).CreateModel(own.Test.Count), model.Values, minimumCellCount: 1).Counts];
        Assert.Equal(full.Length, sent.Length);
        int suppressedCells = 0;
        for (int c = 0; c < audit.Layout.Cells.Length; c++)
        {
            ArraySegment<long> block = new(full, c * FairnessCountLayout.BlockLength, FairnessCountLayout.BlockLength);
            ArraySegment<long> released = new(sent, c * FairnessCountLayout.BlockLength, FairnessCountLayout.BlockLength);
            long n = block[1] + block[2] + block[3] + block[4]; // TP + FP + TN + FN
            if (c < s_sites.Length && s_sites[c] != "switzerland")
            {
                Assert.All(released, v => Assert.Equal(0, v)); // another site's cell: none of this site's records
            }
            else if (n < 10)
            {
                suppressedCells++;
                Assert.All(released, v => Assert.Equal(0, v)); // never leaves the site
            }
            else
            {
                Assert.Equal(block.Skip(1), released.Skip(1));
                Assert.Equal(1, released[0]);
            }
        }

        Assert.True(suppressedCells > 0, "Switzerland's 16 test records should leave at least one sex or age group below the minimum cell count of 10");
        FairnessAuditEvent entry = Assert.Single(Entries(), e => e.Event is FairnessAuditEvent).Event as FairnessAuditEvent ?? throw new InvalidOperationException();
        Assert.Equal((FairnessRelease.Plain, Run, 4), (entry.Release, entry.RunId, entry.Sites));
        Assert.Equal(UpdateHash.Of([.. sent.Select(v => (uint)v)]), entry.Sha256);
        Assert.Equal(suppressedCells, entry.Withheld.Count);
    }

    [Fact]
    public async Task Audit_OfAJobRunTheSiteDidNotTakePartIn_IsRefusedAndLedgered()
    {
        string yaml = JobYaml();
        using SiteJobHandler handler = new(Config("sex", "age"), TimeProvider.System, NullLogger.Instance);
        ParameterVector model = await TrainRoundOneAsync(handler, yaml);

        Refused other = Assert.IsType<Refused>(await handler.HandleAsync("audit-2", Audit(handler, "run-it-never-saw", yaml, model, "sex"), TestContext.Current.CancellationToken));
        Refused altered = Assert.IsType<Refused>(await handler.HandleAsync("audit-3", Audit(handler, Run, yaml + "\n# altered\n", model, "sex"), TestContext.Current.CancellationToken));

        Assert.Equal(("audit-job", "audit-job"), (other.Rule, altered.Rule));
        Assert.Contains("run-it-never-saw", other.Reason, StringComparison.Ordinal);
        Assert.Equal(2, Entries().Count(e => e.Event is PolicyDecisionEvent { Accepted: false } d && d.Rules.Single().Rule == "audit-job"));
        Assert.DoesNotContain(Entries(), e => e.Event is FairnessAuditEvent);
    }

    [Fact]
    public async Task Audit_ByAColumnTheSiteDoesNotDeclareSensitive_IsRefusedAndLedgered()
    {
        string yaml = JobYaml();
        using SiteJobHandler handler = new(Config("sex"), TimeProvider.System, NullLogger.Instance); // age is not declared
        ParameterVector model = await TrainRoundOneAsync(handler, yaml);

        Refused refused = Assert.IsType<Refused>(await handler.HandleAsync("audit-4", Audit(handler, Run, yaml, model, "sex", "age_band"), TestContext.Current.CancellationToken));
        Refused undeclared = Assert.IsType<Refused>(await handler.HandleAsync("audit-5", Audit(handler, Run, yaml, model, "smoker"), TestContext.Current.CancellationToken));

        Assert.Equal(("audit-attribute", "audit-attribute"), (refused.Rule, undeclared.Rule));
        Assert.Contains("column 'age'", refused.Reason, StringComparison.Ordinal);
        Assert.Contains("'smoker' is not declared", undeclared.Reason, StringComparison.Ordinal);
        Assert.Equal(2, Entries().Count(e => e.Event is PolicyDecisionEvent { Accepted: false, RunId: Run } d && d.Rules.Single().Rule == "audit-attribute"));
    }

    [Fact]
    public async Task Audit_OfAModelTheSiteNeverReceived_IsRefusedAndLedgered()
    {
        string yaml = JobYaml();
        using SiteJobHandler handler = new(Config("sex", "age"), TimeProvider.System, NullLogger.Instance);
        ParameterVector model = await TrainRoundOneAsync(handler, yaml);

        // The attacker's model scores by cholesterol alone: its counts would be the site's cholesterol histogram per group and label.
        ParameterVector crafted = new(model.Layout);
        crafted.Values[4] = 1f;
        Refused refused = Assert.IsType<Refused>(await handler.HandleAsync("audit-6", Audit(handler, Run, yaml, crafted, "sex"), TestContext.Current.CancellationToken));

        Assert.Equal("audit-model", refused.Rule);
        Assert.Contains("never received the audited model", refused.Reason, StringComparison.Ordinal);
        Assert.Contains(UpdateHash.Of(crafted.Values)[..12], refused.Reason, StringComparison.Ordinal);
        Assert.Single(Entries(), e => e.Event is PolicyDecisionEvent { Accepted: false, RunId: Run } d && d.Rules.Single().Rule == "audit-model");
        Assert.DoesNotContain(Entries(), e => e.Event is FairnessAuditEvent);

        // The model it did receive is answered.
        Assert.IsType<FairnessCountsReleased>(await handler.HandleAsync("audit-7", Audit(handler, Run, yaml, model, "sex"), TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Audits_BeyondThePolicysCapPerRun_AreRefused_AndTheCountSurvivesARestart()
    {
        string yaml = JobYaml();
        ParameterVector model;
        using (SiteJobHandler first = new(Config("sex", "age"), TimeProvider.System, NullLogger.Instance))
        {
            model = await TrainRoundOneAsync(first, yaml);
            for (int i = 0; i < 2; i++)
            {
                Assert.IsType<FairnessCountsReleased>(await first.HandleAsync($"audit-{i}", Audit(first, Run, yaml, model, "sex"), TestContext.Current.CancellationToken));
            }
        }

        // The node restarts: the cap is counted from its ledger, not from memory.
        using SiteJobHandler handler = new(Config("sex", "age"), TimeProvider.System, NullLogger.Instance);
        Assert.IsType<FairnessCountsReleased>(await handler.HandleAsync("audit-2", Audit(handler, Run, yaml, model, "sex"), TestContext.Current.CancellationToken));
        Refused refused = Assert.IsType<Refused>(await handler.HandleAsync("audit-3", Audit(handler, Run, yaml, model, "sex"), TestContext.Current.CancellationToken));

        Assert.Equal("audit-cap", refused.Rule);
        Assert.Contains($"allows {OutputPolicy.DefaultMaxAuditsPerJob}", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(3, Entries().Count(e => e.Event is FairnessAuditEvent));
        Assert.Equal(
            ["audit 1 of at most 3 for this job run", "audit 2 of at most 3 for this job run", "audit 3 of at most 3 for this job run"],
            Entries().Select(e => e.Event).OfType<PolicyDecisionEvent>().Where(d => d.Accepted && d.Rules.Any(r => r.Rule == "audit-cap")).Select(d => d.Rules.Single().Reason));
    }

    [Fact]
    public async Task Audit_WithThePolicysCapAtZero_IsRefused()
    {
        string yaml = JobYaml();
        string policy = _dir.File("no-audits.yaml");
        string research = await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "policies", "heart-disease-research.yaml"), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(policy, research.Replace("  min_cell_count: 10", "  min_cell_count: 10\n  max_audits_per_job: 0", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        using SiteJobHandler handler = new(Config(policy, ["sex", "age"]), TimeProvider.System, NullLogger.Instance);
        ParameterVector model = await TrainRoundOneAsync(handler, yaml);

        Refused refused = Assert.IsType<Refused>(await handler.HandleAsync("audit-8", Audit(handler, Run, yaml, model, "sex"), TestContext.Current.CancellationToken));

        Assert.Equal("audit-cap", refused.Rule);
        Assert.Contains("allows 0", refused.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutTheReceivedModelCheck_ACraftedModelIsAnswered_TheOracleTheCheckCloses()
    {
        // The red team's weakened site (internal switch, no configuration can set it): shows what the check prevents.
        string yaml = JobYaml();
        using SiteJobHandler handler = new(Config("sex", "age"), TimeProvider.System, NullLogger.Instance) { AuditReceivedModelsOnly = false };
        ParameterVector model = await TrainRoundOneAsync(handler, yaml);
        ParameterVector crafted = new(model.Layout);
        crafted.Values[4] = 1f;

        for (int i = 0; i < 5; i++)
        {
            Assert.IsType<FairnessCountsReleased>(await handler.HandleAsync($"audit-{i}", Audit(handler, Run, yaml, crafted, "sex"), TestContext.Current.CancellationToken));
        }
    }

    [Theory]
    [InlineData("threshold", "fairness_audit.threshold")]
    [InlineData("sites", "fairness_audit.sites")]
    [InlineData("attributes", "fairness_audit.attributes")]
    [InlineData("run", "fairness_audit.audited_run")]
    public void HostileAuditFields_AreRejectedAtTheWireNamingTheField(string field, string named)
    {
        ParameterVector model = new(new ModelSpec(ModelKind.Logistic, 3, []).CreateLayout());
        FairnessAuditTask task = new(new SiteId("va"), new RoundNumber(1), Run, "name: x\n", model, ["sex"], s_sites, 0.5f);
        WireItem<TaskHeader> wire = WireCodec.Encode(task, "item-9", "audit-9");
        FairnessAuditTaskProto proto = wire.Header.FairnessAudit;
        switch (field)
        {
            case "threshold":
                proto.Threshold = float.NaN;
                break;
            case "sites":
                proto.Sites.Add("va"); // a repeated site
                break;
            case "attributes":
                proto.Attributes.Add(new string('x', 500));
                break;
            default:
                proto.AuditedRun = "";
                break;
        }

        PayloadAssembler payload = new("item-9", WireCodec.Vectors(wire.Header), wire.Header.PayloadBytes);
        foreach (Chunk chunk in VectorPayload.Chunks("item-9", wire.Payload))
        {
            payload.Add(chunk);
        }

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => WireCodec.Decode(wire.Header, payload, new SiteId("va")));
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    private IReadOnlyList<LedgerEntry> Entries() => LedgerReader.Read(Path.Combine(_dir.File("state"), "ledger.db")).Entries;
}
