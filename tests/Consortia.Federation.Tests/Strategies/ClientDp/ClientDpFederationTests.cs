using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Simulation;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.Budget;
using Consortia.Privacy.ClientLevel;
using Consortia.Privacy.Mechanisms;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Strategies.ClientDp;

/// <summary>Client-level DP end to end: site-side clipping, the engine, secure aggregation, budgets and simulation.</summary>
public sealed class ClientDpFederationTests : IDisposable
{
    private readonly TempDirectory _budgets = new();
    private readonly List<PrivacyBudgetLedger> _ledgers = [];
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);
    private static readonly LocalTrainingOptions s_training = new() { BatchSize = 8, LocalSteps = 10, Optimizer = new() { LearningRate = 0.1f } };

    public void Dispose()
    {
        _ledgers.ForEach(l => l.Dispose());
        _budgets.Dispose();
    }

    // The sites accept the job their tasks will carry: its client-level DP (job id, δ, adaptive or not) and secure aggregation.
    // A site without a budget refuses DP rounds; these sites get a large one of their own (one ledger file per agent).
    private SiteAgent[] Agents(FederatedDataset data, ClientDpSettings? clientDp, bool secure = false, Func<int, PrivacyBudgetLedger?>? budget = null) =>
        TestSites.Agents(data, s_spec, [MetricKind.Accuracy], 8, i => new RandomSource(5).Derive((ulong)i), budget ?? (i => Budget()),
            job: j => j with { ClientDp = clientDp, Engine = j.Engine with { SecureAggregation = secure ? new SecureAggregationSettings { ClipRange = 1 } : null } }, training: s_training);

    private PrivacyBudgetLedger Budget()
    {
        PrivacyBudgetLedger ledger = PrivacyBudgetLedger.Create(new PrivacyBudgetLedgerOptions { Path = _budgets.File($"site-{_ledgers.Count}.db"), Budget = new LifetimeBudget(1e6, 1e-5) }, TimeProvider.System);
        _ledgers.Add(ledger);
        return ledger;
    }

    // The sites take the round's clip bound from the job they accepted (rule task-clip): the job states the tasks' bound.
    private static ClientDpSettings Settings(bool adaptive, string jobId = "job", double clip = 1) =>
        new(new ClientLevelDpOptions { ClipNorm = clip, NoiseMultiplier = 1, Delta = 1e-5, Adaptive = adaptive ? new() { BitNoise = 1.0 } : null }, jobId, 4);

    private static ClientDpStrategy Strategy(ClientLevelDpOptions options, int rounds) =>
        new(new FedAvgStrategy(new FedAvgOptions { Training = s_training }), new ClientDpSettings(options, "job", rounds), ClientDpStrategy.SeededNoise);

    private static Task<JobResult> Run(ISiteTransport transport, IStrategy strategy, SecureAggregationSettings? secure, int rounds) =>
        RunnerHarness.RunAsync(transport, strategy, new RoundEngineOptions { Rounds = rounds, SecureAggregation = secure }, new GlobalModel(s_spec, new ParameterVector(s_spec.CreateLayout()), new RoundNumber(0)), 9, TestContext.Current.CancellationToken);

    private static TrainTask Task(SiteId site, int round, ClientDpRound dp) =>
        new(site, new RoundNumber(round), new ParameterVector(s_spec.CreateLayout()), s_training) { ClientDp = dp, Participants = 4, JobSha256 = TestSites.JobSha256 };

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.3)]
    [InlineData(100)]
    public async Task Site_ClipsItsWholeUnweightedUpdateAndReportsTheBit(double clip)
    {
        FederatedDataset data = Some.ClassificationFederation(2);
        using SiteAgent plainAgent = Agents(data, null)[1];
        using SiteAgent dpAgent = Agents(data, Settings(adaptive: true, clip: clip))[1];

        SiteReply plain = await plainAgent.HandleAsync(new TrainTask(plainAgent.Site, new RoundNumber(1), new ParameterVector(s_spec.CreateLayout()), s_training) { Participants = 4, JobSha256 = TestSites.JobSha256 }, TestContext.Current.CancellationToken);
        SiteReply reply = await dpAgent.HandleAsync(Task(dpAgent.Site, 1, new ClientDpRound("job", clip, true, 1.0, 1.0, 1e-5)), TestContext.Current.CancellationToken);

        Assert.True(reply is TrainingCompleted, reply.ToString());
        Assert.True(plain is TrainingCompleted, plain.ToString());
        SiteUpdate update = ((TrainingCompleted)reply).Update;
        SiteUpdate reference = ((TrainingCompleted)plain).Update;
        double rawNorm = L2Clipping.Norm(reference.WeightedDelta.Values) / reference.Weight; // the unweighted delta's norm
        Assert.Equal(1.0, update.Weight);
        Assert.True(L2Clipping.Norm(update.WeightedDelta.Values) <= clip);
        Assert.Equal(rawNorm <= clip ? 0.5 : -0.5, update.UnclippedBit);
        Assert.True(double.IsNaN(update.TrainLoss), "the loss is not part of the private release");
        Assert.Equal(Math.Min(rawNorm, clip), L2Clipping.Norm(update.WeightedDelta.Values), 4);
    }

    [Fact]
    public async Task SecureAggregation_WithClientLevelDp_GivesThePlainRunsModelWithinQuantisationError()
    {
        FederatedDataset data = Some.ClassificationFederation(5);
        ClientLevelDpOptions options = new() { ClipNorm = 0.2, NoiseMultiplier = 0.5, Adaptive = new() { BitNoise = 1.0 } };

        JobResult plain = await Run(new InProcessSiteTransport(Agents(data, new ClientDpSettings(options, "job", 4))), Strategy(options, 4), null, 4);
        JobResult secure = await Run(new InProcessSiteTransport(Agents(data, new ClientDpSettings(options, "job", 4), secure: true)), Strategy(options, 4), new SecureAggregationSettings { ClipRange = 1 }, 4);

        Assert.All(secure.Rounds, r => Assert.True(r.Aggregated, r.AggregationFailure));
        Assert.All(secure.Rounds, r => Assert.Equal(5, r.Contributors.Count));
        for (int i = 0; i < s_spec.CreateLayout().Length; i++)
        {
            // Same seeded central noise in both runs; the adaptive bits travel in the masked sum.
            Assert.Equal(plain.FinalModel.Parameters.Values[i], secure.FinalModel.Parameters.Values[i], 3);
        }

        Assert.All(plain.Rounds, r => Assert.True(double.IsNaN(r.TrainLoss)));
    }

    [Fact]
    public async Task Site_WithABudget_RefusesTheRoundThatWouldExceedIt()
    {
        const double Z = 6.0, Budget = 1.0;
        int admitted = Enumerable.Range(1, 50).TakeWhile(k => ClientLevelAccounting.Epsilon(Z, k, 1e-5).Epsilon <= Budget).Count();
        Assert.InRange(admitted, 1, 20);
        FederatedDataset data = Some.ClassificationFederation(1);
        using TempDirectory folder = new();
        LifetimeBudget budget = new(Budget, 1e-5);
        PrivacyBudgetLedger Open() => PrivacyBudgetLedger.OpenOrCreate(new PrivacyBudgetLedgerOptions { Path = Path.Combine(folder.Path, "site.db"), Budget = budget }, TimeProvider.System);

        using (PrivacyBudgetLedger ledger = Open())
        using (SiteAgent agent = Agents(data, Settings(adaptive: false), budget: _ => ledger)[0])
        {
            for (int round = 1; round <= admitted; round++)
            {
                Assert.IsType<TrainingCompleted>(await agent.HandleAsync(Task(agent.Site, round, new ClientDpRound("job", 1.0, false, Z, 1.0, 1e-5)), TestContext.Current.CancellationToken));
            }

            Refused refused = Assert.IsType<Refused>(await agent.HandleAsync(Task(agent.Site, admitted + 1, new ClientDpRound("job", 1.0, false, Z, 1.0, 1e-5)), TestContext.Current.CancellationToken));
            Assert.Equal("dp-budget", refused.Rule);
            SitePrivacyReport report = Assert.IsType<SitePrivacyReport>(agent.Privacy);
            Assert.Equal(admitted, report.Steps);
            Assert.Equal(ClientLevelAccounting.Epsilon(Z, admitted, 1e-5).Epsilon, report.Epsilon, 9);
        }

        // After a restart the budget is still spent.
        using (PrivacyBudgetLedger ledger = Open())
        using (SiteAgent agent = Agents(data, Settings(adaptive: false, jobId: "job2"), budget: _ => ledger)[0])
        {
            Refused again = Assert.IsType<Refused>(await agent.HandleAsync(Task(agent.Site, 1, new ClientDpRound("job2", 1.0, false, Z, 1.0, 1e-5)), TestContext.Current.CancellationToken));
            Assert.Equal("dp-budget", again.Rule);
        }
    }

    [Fact]
    public async Task Simulation_HeartExample_WithSecureAggregation_ReportsTheJobsAndEachSitesEpsilon()
    {
        JobDefinition job = JobFile.Load(RepositoryPaths.Combine("examples", "heart-disease", "dp-fedavg-client.yaml"));
        job = job with { Engine = job.Engine with { SecureAggregation = new SecureAggregationSettings { ClipRange = 10 } }, Baselines = null };
        ClientDpSettings dp = Assert.IsType<ClientDpSettings>(job.ClientDp);

        SimulationResult result = await FederatedSimulation.RunAsync(job, null, null, TestContext.Current.CancellationToken);

        Assert.All(result.Federated.Rounds, r => Assert.True(r.Aggregated, r.AggregationFailure));
        ClientDpCalibration privacy = Assert.IsType<ClientDpCalibration>(result.ClientPrivacy);
        Assert.Equal(1.0, privacy.SampleRate);
        Assert.Equal(4, privacy.TotalSites);
        Assert.InRange(privacy.Epsilon, dp.Options.TargetEpsilon!.Value * 0.99, dp.Options.TargetEpsilon.Value);
        Assert.Equal(4, result.Privacy.Count);
        Assert.All(result.Privacy, p =>
        {
            Assert.Equal(job.Engine.Rounds, p.Steps);
            Assert.Equal(privacy.Epsilon, p.Epsilon, 9); // q = 1: each site's own charge equals the job's ε
            Assert.Equal(p.Epsilon, p.LifetimeEpsilon!.Value, 9);
        });
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task Simulation_SitePolicyBudgetBelowTheJobsEpsilon_RefusesTheJobVisibly()
    {
        JobDefinition job = JobFile.Load(RepositoryPaths.Combine("examples", "heart-disease", "dp-fedavg-client.yaml"));
        job = job with
        {
            Engine = job.Engine with { Rounds = 6 },
            ClientDp = job.ClientDp! with { TotalRounds = 6, Options = job.ClientDp.Options with { TargetEpsilon = 3 } },
            Baselines = null,
        };
        // Each site's lifetime budget is its own policy's (ε = 1.5), never the job's.
        Governance.Policies.SitePolicy policy = Governance.Policies.PolicyEvaluator.FromFile(RepositoryPaths.Combine("examples", "policies", "heart-disease-research.yaml")).Policy!;
        policy = policy with { Protections = policy.Protections with { DifferentialPrivacy = policy.Protections.DifferentialPrivacy! with { EpsilonCeilingPerJob = 1.5, LifetimeEpsilonBudget = 1.5 } } };
        FederatedDataset data = FederatedDataLoader.Load(job.Data, Path.GetDirectoryName(job.SourcePath)!);

        SimulationResult result = await FederatedSimulation.RunAsync(job, data, null, null, _ => new Governance.Policies.PolicyEvaluator(policy), TestContext.Current.CancellationToken);

        // The job's ε of 3 exceeds the sites' own ceiling and lifetime budget of 1.5: refused before anything is charged.
        Assert.All(result.Federated.Rounds, r => Assert.False(r.Aggregated));
        Assert.All(result.Federated.Rounds[0].Refusals, x => Assert.Contains(x.Rule, new[] { "dp-epsilon-ceiling", "dp-budget" }));
        Assert.Equal(4, result.Federated.Rounds[0].Refusals.Count);
        Assert.Empty(result.Privacy);
    }
}
