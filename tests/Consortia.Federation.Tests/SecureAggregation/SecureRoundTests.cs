using System.Runtime.CompilerServices;
using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Simulation;
using Consortia.Federation.Simulation.Profiles;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Strategies.Scaffold;
using Consortia.Federation.Strategies.Scheduling;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.SecureAggregation;

public sealed class SecureRoundTests
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);
    private static readonly LocalTrainingOptions s_training = new() { BatchSize = 8, LocalSteps = 10, Optimizer = new() { LearningRate = 0.1f } };

    // The sites accept a job with or without secure aggregation, as the round they will be asked for (they refuse a task that differs).
    private static SiteAgent[] Agents(FederatedDataset data, bool secure = true) =>
        TestSites.Agents(data, s_spec, [MetricKind.Accuracy], 8, i => new RandomSource(5).Derive((ulong)i),
            job: j => j with { Engine = j.Engine with { SecureAggregation = secure ? new SecureAggregationSettings { ClipRange = 1000 } : null } }, training: s_training);

    private static Task<JobResult> Run(ISiteTransport transport, SecureAggregationSettings? secure, IStrategy? strategy = null, int rounds = 3) =>
        RunnerHarness.RunAsync(transport, strategy ?? new FedAvgStrategy(new FedAvgOptions { Training = s_training }), new RoundEngineOptions { Rounds = rounds, SecureAggregation = secure }, new GlobalModel(s_spec, new ParameterVector(s_spec.CreateLayout()), new RoundNumber(0)), 9, TestContext.Current.CancellationToken);

    [Fact]
    public async Task SecureRounds_GiveThePlainModelWithinQuantisationError()
    {
        FederatedDataset data = Some.ClassificationFederation(5);

        JobResult plain = await Run(new InProcessSiteTransport(Agents(data, secure: false)), null);
        JobResult secure = await Run(new InProcessSiteTransport(Agents(data)), new SecureAggregationSettings { ClipRange = 1000 });

        Assert.All(secure.Rounds, r => Assert.True(r.Aggregated, r.AggregationFailure));
        for (int i = 0; i < s_spec.CreateLayout().Length; i++)
        {
            Assert.Equal(plain.FinalModel.Parameters.Values[i], secure.FinalModel.Parameters.Values[i], 3);
        }

        Assert.Equal(plain.Rounds[^1].TrainLoss, secure.Rounds[^1].TrainLoss, 3);
    }

    [Fact]
    public async Task SecureRounds_Scaffold_CarriesControlVariatesInTheSum()
    {
        FederatedDataset data = Some.ClassificationFederation(4);
        ScaffoldStrategy Strategy() => new(new ScaffoldOptions { Training = s_training });

        JobResult plain = await Run(new InProcessSiteTransport(Agents(data, secure: false)), null, Strategy());
        JobResult secure = await Run(new InProcessSiteTransport(Agents(data)), new SecureAggregationSettings { ClipRange = 1000 }, Strategy());

        for (int i = 0; i < s_spec.CreateLayout().Length; i++)
        {
            Assert.Equal(plain.FinalModel.Parameters.Values[i], secure.FinalModel.Parameters.Values[i], 2);
        }
    }

    [Fact]
    public async Task SecureFedBuff_GivesThePlainFedBuffModel_AndTheCoordinatorSeesOnlyMaskedInputsOfTheBuffer()
    {
        FederatedDataset data = Some.ClassificationFederation(4);
        // 80 examples of work: the fast pair takes 0.8 s, site3 1.6 s, site0 2 s, so some buffers hold stale updates.
        SiteProfile[] profiles = [new() { ExamplesPerSecond = 40 }, new() { ExamplesPerSecond = 100 }, new() { ExamplesPerSecond = 100 }, new() { ExamplesPerSecond = 50 }];
        IStrategy Strategy() => new ScheduledStrategy(new FedAvgStrategy(new FedAvgOptions { Training = s_training }), new SchedulingOptions { Buffer = 3 });
        ProfiledSiteTransport Timed(ISiteTransport sites) => new(sites, profiles, new VirtualClock(VirtualClock.DefaultStart, TimeSpan.Zero), new RandomSource(11)) { Asynchronous = true };

        RecordingTransport plainSites = new(new InProcessSiteTransport(Agents(data, secure: false)));
        JobResult plain = await Run(Timed(plainSites), null, Strategy(), rounds: 5);
        RecordingTransport secureSites = new(new InProcessSiteTransport(Agents(data)));
        JobResult secure = await Run(Timed(secureSites), new SecureAggregationSettings { ClipRange = 1000 }, Strategy(), rounds: 5);

        // The same timeline: the same sites in every buffer, and some of them stale (weighted at the site before masking).
        Assert.All(secure.Rounds, r => Assert.True(r.Aggregated, r.AggregationFailure));
        Assert.Equal(plain.Rounds.Select(r => string.Join(',', r.Contributors)), secure.Rounds.Select(r => string.Join(',', r.Contributors)));
        Assert.Contains(secureSites.Tasks.OfType<SecureFlushTask>(), t => t.TrainedRound.Value < t.Round.Value && t.StalenessScale < 1);
        for (int i = 0; i < s_spec.CreateLayout().Length; i++)
        {
            Assert.Equal(plain.FinalModel.Parameters.Values[i], secure.FinalModel.Parameters.Values[i], 3);
        }

        // The coordinator never sees an update: per flush, exactly the buffer's K masked inputs (whose sum is all it unmasks).
        Assert.Contains(plainSites.Replies, r => r is TrainingCompleted);
        Assert.DoesNotContain(secureSites.Replies, r => r is TrainingCompleted);
        int[] maskedPerFlush = [.. secureSites.Replies.OfType<SecAggReplied>().Where(r => r.Message is MaskedInput).GroupBy(r => r.Round.Value).OrderBy(g => g.Key).Select(g => g.Count())];
        Assert.Equal(Enumerable.Repeat(3, 5), maskedPerFlush);
    }

    [Fact]
    public async Task SecureRound_SiteLostBeforeMasking_IsExcludedAndTheRoundCompletes()
    {
        FederatedDataset data = Some.ClassificationFederation(5);
        DroppingTransport transport = new(new InProcessSiteTransport(Agents(data)), drop: ["site4"]);

        JobResult result = await Run(transport, new SecureAggregationSettings { ClipRange = 1000, DropoutFraction = 0.2 }, rounds: 1);

        RoundReport round = Assert.Single(result.Rounds);
        Assert.True(round.Aggregated, round.AggregationFailure);
        Assert.Equal(4, round.Contributors.Count);
        Assert.DoesNotContain(new SiteId("site4"), round.Contributors);
    }

    [Fact]
    public async Task SecureRound_BelowThreshold_FailsCleanlyAndKeepsTheModel()
    {
        FederatedDataset data = Some.ClassificationFederation(5);
        DroppingTransport transport = new(new InProcessSiteTransport(Agents(data)), drop: ["site2", "site3", "site4"]);

        JobResult result = await Run(transport, new SecureAggregationSettings { ClipRange = 1000 }, rounds: 1);

        RoundReport round = Assert.Single(result.Rounds);
        Assert.False(round.Aggregated);
        Assert.NotNull(round.AggregationFailure);
        Assert.Contains("Secure aggregation failed", round.AggregationFailure, StringComparison.Ordinal);
        Assert.True(result.FinalModel.Parameters.ContentEquals(new ParameterVector(s_spec.CreateLayout())));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task SecureRound_CoordinatorNeverReceivesAPlainUpdate()
    {
        FederatedDataset data = Some.ClassificationFederation(4);
        RecordingTransport transport = new(new InProcessSiteTransport(Agents(data)));

        await Run(transport, new SecureAggregationSettings { ClipRange = 1000 }, rounds: 2);

        Assert.DoesNotContain(transport.Replies, r => r is TrainingCompleted);
        Assert.Contains(transport.Replies, r => r is SecAggReplied);
    }

    /// <summary>Sites that stop answering after training (a dropout before the secure session).</summary>
    private sealed class DroppingTransport(ISiteTransport inner, string[] drop) : ISiteTransport
    {
        public IReadOnlyList<SiteId> Roster => inner.Roster;

        public async IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            SiteTask[] kept = [.. tasks.Where(t => t is not SecAggTask || !drop.Contains(t.Site.Value))];
            await foreach (SiteReply reply in inner.DispatchAsync(kept, deadline, cancellationToken))
            {
                yield return reply;
            }
        }
    }

    /// <summary>Records every reply the coordinator receives.</summary>
    private sealed class RecordingTransport(ISiteTransport inner) : ISiteTransport
    {
        public List<SiteReply> Replies { get; } = [];

        public List<SiteTask> Tasks { get; } = [];

        public IReadOnlyList<SiteId> Roster => inner.Roster;

        public async IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            Tasks.AddRange(tasks);
            await foreach (SiteReply reply in inner.DispatchAsync(tasks, deadline, cancellationToken))
            {
                Replies.Add(reply);
                yield return reply;
            }
        }
    }
}
