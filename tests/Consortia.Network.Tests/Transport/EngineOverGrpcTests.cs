using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.Privacy.ClientLevel;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Strategies.Scaffold;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.TestKit;

namespace Consortia.Network.Tests.Transport;

/// <summary>
/// One engine, two transports: the same job over gRPC (mutual TLS, loopback) gives the bit-identical model
/// of the in-process run, with plain updates, SCAFFOLD control variates and secure aggregation.
/// </summary>
[Trait("Category", "Slow")]
public sealed class EngineOverGrpcTests : IDisposable
{
    private readonly TempDirectory _budgets = new();
    private readonly List<Consortia.Privacy.Budget.PrivacyBudgetLedger> _ledgers = [];

    public void Dispose()
    {
        _ledgers.ForEach(l => l.Dispose());
        _budgets.Dispose();
    }

    // A site without a budget refuses DP work: each DP site gets a large one of its own.
    private Consortia.Privacy.Budget.PrivacyBudgetLedger? Budget(ClientDpSettings? clientDp)
    {
        if (clientDp is null)
        {
            return null;
        }

        Consortia.Privacy.Budget.PrivacyBudgetLedger ledger = Consortia.Privacy.Budget.PrivacyBudgetLedger.Create(
            new Consortia.Privacy.Budget.PrivacyBudgetLedgerOptions { Path = _budgets.File($"site-{_ledgers.Count}.db"), Budget = new Consortia.Privacy.Budget.LifetimeBudget(1e6, 1e-5) }, TimeProvider.System);
        _ledgers.Add(ledger);
        return ledger;
    }

    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);
    private static readonly LocalTrainingOptions s_training = new() { BatchSize = 8, LocalSteps = 5, Optimizer = new() { LearningRate = 0.1f } };

    // q-FFL (strategy qffl): FedAvg whose sites weight their update by their loss to the power q, which the task must carry.
    private static readonly LocalTrainingOptions s_qfflTraining = s_training with { FairnessQ = 2f };

    private static readonly ClientDpSettings s_clientDp = new(new ClientLevelDpOptions { ClipNorm = 0.5, NoiseMultiplier = 0.3, Adaptive = new AdaptiveClippingOptions() }, "job", 3);

    // The sites accept the job their tasks will carry (client-level DP, secure aggregation): they refuse a task that differs.
    private SiteAgent[] Agents(FederatedDataset data, ClientDpSettings? clientDp, SecureAggregationSettings? secure, LocalTrainingOptions training) =>
        TestSites.Agents(data, s_spec, [MetricKind.Accuracy], 8, i => new RandomSource(5).Derive((ulong)i), i => Budget(clientDp), job: j => j with { ClientDp = clientDp, Engine = j.Engine with { SecureAggregation = secure } }, training: training);

    private static Task<JobResult> Run(ISiteTransport transport, IStrategy strategy, SecureAggregationSettings? secure) =>
        RunnerHarness.RunAsync(transport, strategy, new RoundEngineOptions { Rounds = 3, SecureAggregation = secure }, new GlobalModel(s_spec, new ParameterVector(s_spec.CreateLayout()), new RoundNumber(0)), 9, TestContext.Current.CancellationToken);

    public static TheoryData<string, bool> Cases => new()
    {
        { "fedavg", false },
        { "scaffold", false },
        { "fedavg", true },
        { "client-dp-adaptive", false },
        { "client-dp-adaptive", true },
        { "qffl", false },
        { "qffl", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Job_OverGrpc_GivesTheInProcessModelBitForBit(string strategy, bool secure)
    {
        FederatedDataset data = Some.ClassificationFederation(4);
        LocalTrainingOptions training = strategy == "qffl" ? s_qfflTraining : s_training;
        IStrategy Strategy() => strategy switch
        {
            "qffl" => new FedAvgStrategy(new FedAvgOptions { Training = s_qfflTraining }),
            "scaffold" => new ScaffoldStrategy(new ScaffoldOptions { Training = s_training }),
            "client-dp-adaptive" => new ClientDpStrategy(
                new FedAvgStrategy(new FedAvgOptions { Training = s_training }),
                s_clientDp,
                ClientDpStrategy.SeededNoise),
            _ => new FedAvgStrategy(new FedAvgOptions { Training = s_training }),
        };
        SecureAggregationSettings? settings = secure ? new SecureAggregationSettings { ClipRange = 1000 } : null;
        ClientDpSettings? clientDp = strategy == "client-dp-adaptive" ? s_clientDp : null;
        SiteAgent[] remote = Agents(data, clientDp, settings, training);
        await using LoopbackFederation federation = await LoopbackFederation.StartAsync([.. remote.Select(a => a.Site)]);
        foreach (SiteAgent agent in remote)
        {
            federation.StartNode(new AgentHandler(agent));
        }

        JobResult local = await Run(new InProcessSiteTransport(Agents(data, clientDp, settings, training)), Strategy(), settings);
        JobResult overGrpc = await Run(federation.Transport, Strategy(), settings);

        Assert.All(overGrpc.Rounds, r => Assert.True(r.Aggregated, r.AggregationFailure));
        Assert.True(local.FinalModel.Parameters.ContentEquals(overGrpc.FinalModel.Parameters));
        Assert.Equal(local.Rounds.Select(r => r.TrainLoss), overGrpc.Rounds.Select(r => r.TrainLoss));
        Assert.Equal(local.Rounds.Select(r => r.Contributors.Count), overGrpc.Rounds.Select(r => r.Contributors.Count));
        // Each site's own privacy accounting crosses the wire unchanged: with its update, or under secure aggregation with TrainingPrepared.
        Assert.Equal(local.Rounds.SelectMany(r => r.Privacy), overGrpc.Rounds.SelectMany(r => r.Privacy));
        Assert.Equal(clientDp is null ? 0 : overGrpc.Rounds.Sum(r => r.Contributors.Count), overGrpc.Rounds.Sum(r => r.Privacy.Count));
    }

    [Fact]
    public async Task LargeUpdate_TravelsInChunks_AndArrivesIntact()
    {
        // 3,000,000 parameters = 12 MB per vector: three times gRPC's default message limit.
        ParameterLayout layout = ParameterLayout.Create(("w", [3_000_000]));
        ParameterVector global = new(layout);
        RandomSource random = new(3);
        for (int i = 0; i < global.Length; i++)
        {
            global.Values[i] = (float)random.NextDouble();
        }

        EchoHandler echo = new(new SiteId("big"));
        await using LoopbackFederation federation = await LoopbackFederation.StartAsync([echo.Site]);
        federation.StartNode(echo);

        List<SiteReply> replies = [];
        await foreach (SiteReply reply in federation.Transport.DispatchAsync([new TrainTask(echo.Site, new RoundNumber(1), global, s_training)], TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken))
        {
            replies.Add(reply);
        }

        TrainingCompleted completed = Assert.IsType<TrainingCompleted>(Assert.Single(replies));
        Assert.True(completed.Update.WeightedDelta.ContentEquals(global));
    }

    /// <summary>Answers a training task with the global parameters it received, unchanged.</summary>
    private sealed class EchoHandler(SiteId site) : Node.ISiteWorkHandler
    {
        public SiteId Site => site;

        public ValueTask<Node.JobReadiness> PrepareJobAsync(string jobId, string jobYaml, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new Node.JobReadiness(true, 1));

        public ValueTask<SiteReply> HandleAsync(string jobId, SiteTask task, CancellationToken cancellationToken) =>
            ValueTask.FromResult<SiteReply>(new TrainingCompleted(site, task.Round, new SiteUpdate(site, ((TrainTask)task).GlobalParameters.Clone(), 1, 0, 1)));

        public void EndJob(string jobId)
        {
        }
    }
}
