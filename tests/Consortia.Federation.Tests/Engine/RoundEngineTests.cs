using System.Runtime.CompilerServices;
using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Engine;

public sealed class RoundEngineTests
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);
    private static readonly LocalTrainingOptions s_training = new() { BatchSize = 8, LocalSteps = 10, Optimizer = new() { LearningRate = 0.1f } };

    private static SiteAgent[] Agents(FederatedDataset data, ulong seed) =>
        TestSites.Agents(data, s_spec, [MetricKind.Accuracy, MetricKind.LogLoss], 8, i => new RandomSource(seed).Derive((ulong)i), training: s_training);

    private static GlobalModel Initial() => new(s_spec, new ParameterVector(s_spec.CreateLayout()), new RoundNumber(0));

    private static Task<JobResult> Run(ISiteTransport transport, int rounds = 5, int minimum = 1) =>
        RunnerHarness.RunAsync(transport, new FedAvgStrategy(new FedAvgOptions { Training = s_training }), new RoundEngineOptions { Rounds = rounds, MinimumParticipants = minimum }, Initial(), 9, TestContext.Current.CancellationToken);

    [Fact]
    public async Task RunAsync_SameSeed_BitIdenticalModelsWhateverTheParallelism()
    {
        FederatedDataset data = Some.ClassificationFederation();

        JobResult serial = await Run(new InProcessSiteTransport(Agents(data, 3), parallelism: 1));
        JobResult parallel = await Run(new InProcessSiteTransport(Agents(data, 3), parallelism: 4));

        Assert.True(serial.FinalModel.Parameters.ContentEquals(parallel.FinalModel.Parameters));
    }

    [Fact]
    public async Task RunAsync_DifferentSiteSeeds_DifferentModels()
    {
        FederatedDataset data = Some.ClassificationFederation();

        JobResult a = await Run(new InProcessSiteTransport(Agents(data, 3)));
        JobResult b = await Run(new InProcessSiteTransport(Agents(data, 4)));

        Assert.False(a.FinalModel.Parameters.ContentEquals(b.FinalModel.Parameters));
    }

    [Fact]
    public async Task RunAsync_ReportsEveryRoundWithAllSitesAndImprovesLoss()
    {
        FederatedDataset data = Some.ClassificationFederation();

        JobResult result = await Run(new InProcessSiteTransport(Agents(data, 3)), rounds: 8);

        Assert.Equal(8, result.Rounds.Count);
        Assert.All(result.Rounds, r => Assert.Equal(4, r.Contributors.Count));
        Assert.Equal(8, result.FinalModel.Round.Value);
        double firstLoss = result.Rounds[0].Evaluation!.Mean.Single(m => m.Kind == MetricKind.LogLoss).Value;
        double lastLoss = result.Rounds[^1].Evaluation!.Mean.Single(m => m.Kind == MetricKind.LogLoss).Value;
        Assert.True(lastLoss < firstLoss, $"log-loss {firstLoss} → {lastLoss}");
    }

    [Fact]
    public async Task RunRound_RefusingAndFailingSites_AreReportedAndOthersAggregated()
    {
        FederatedDataset data = Some.ClassificationFederation();
        ScriptedTransport transport = new(new InProcessSiteTransport(Agents(data, 3)), refuse: "site1", fail: "site2");

        JobResult result = await Run(transport, rounds: 1);

        RoundReport round = Assert.Single(result.Rounds);
        Assert.Equal([new SiteId("site0"), new SiteId("site3")], round.Contributors);
        Assert.Equal("min-sites", Assert.Single(round.Refusals).Rule);
        Assert.Equal(new SiteId("site2"), Assert.Single(round.Failures).Site);
        Assert.True(round.Aggregated);
    }

    [Fact]
    public async Task RunRound_BelowMinimumParticipants_KeepsPreviousModel()
    {
        FederatedDataset data = Some.ClassificationFederation();
        ScriptedTransport transport = new(new InProcessSiteTransport(Agents(data, 3)), refuse: "site1", fail: "site2");

        JobResult result = await Run(transport, rounds: 2, minimum: 3);

        Assert.All(result.Rounds, r => Assert.False(r.Aggregated));
        Assert.True(result.FinalModel.Parameters.ContentEquals(Initial().Parameters));
        Assert.Equal(0, result.FinalModel.Round.Value);
    }

    [Fact]
    public async Task RunRound_NonFiniteUpdate_IsRejectedNotAggregated()
    {
        FederatedDataset data = Some.ClassificationFederation();
        ScriptedTransport transport = new(new InProcessSiteTransport(Agents(data, 3)), poison: "site0");

        JobResult result = await Run(transport, rounds: 1);

        RoundReport round = Assert.Single(result.Rounds);
        Assert.DoesNotContain(new SiteId("site0"), round.Contributors);
        Assert.Equal("invalid-update", Assert.IsType<Failed>(Assert.Single(round.Failures)).Code);
        Assert.True(result.FinalModel.Parameters.IsFinite());
    }

    /// <summary>Wraps a transport and rewrites chosen sites' training replies (a fake peer, not a mock).</summary>
    private sealed class ScriptedTransport(ISiteTransport inner, string? refuse = null, string? fail = null, string? poison = null) : ISiteTransport
    {
        public IReadOnlyList<SiteId> Roster => inner.Roster;

        public async IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (SiteReply reply in inner.DispatchAsync(tasks, deadline, cancellationToken))
            {
                yield return reply switch
                {
                    TrainingCompleted c when c.Site.Value == refuse => new Refused(c.Site, c.Round, "min-sites", "too few sites"),
                    TrainingCompleted c when c.Site.Value == fail => new Failed(c.Site, c.Round, "site-error", "failed"),
                    TrainingCompleted c when c.Site.Value == poison => Poisoned(c),
                    _ => reply,
                };
            }
        }

        private static TrainingCompleted Poisoned(TrainingCompleted c)
        {
            ParameterVector bad = c.Update.WeightedDelta.Clone();
            bad.Values[0] = float.NaN;
            return c with { Update = c.Update with { WeightedDelta = bad } };
        }
    }
}
