using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Federation.Simulation.Profiles;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies.Scheduling;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Optimization;
using Consortia.Learning.Training;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Simulation.Profiles;

/// <summary>Simulations with site profiles: time is simulated on the virtual clock, nothing sleeps.</summary>
public sealed class ProfiledSimulationTests
{
    private static readonly FederatedDataset s_data = Some.ClassificationFederation(sites: 4, seed: 3);

    private static JobDefinition Job(SimulationProfiles profiles, int rounds = 3, SchedulingOptions? scheduling = null) => new()
    {
        Name = "profiled",
        Seed = 7,
        Data = new DataSourceOptions { Format = DataFormat.Csv, Path = "unused.csv" },
        ModelKind = ModelKind.Logistic,
        Engine = new RoundEngineOptions { Rounds = rounds, JobName = "profiled" },
        Training = new LocalTrainingOptions { BatchSize = 4, LocalSteps = 20, Optimizer = new OptimizerOptions { Kind = OptimizerKind.Sgd, LearningRate = 0.05f } },
        Metrics = [MetricKind.Accuracy],
        Profiles = profiles,
        Scheduling = scheduling,
    };

    private static SimulationProfiles Fixed(double speed, double latencyMs = 50, double dropout = 0) => new(new Dictionary<string, SiteProfileSettings>
    {
        [SimulationProfiles.DefaultKey] = new() { Speed = ProfileRange.Fixed(speed), LatencyMilliseconds = ProfileRange.Fixed(latencyMs), Dropout = dropout },
    });

    [Fact]
    public async Task EveryRoundTakesTheSlowestSitesSimulatedTime()
    {
        // 20 steps × 4 rows at 10 examples/s = 8 s, plus 2 × 50 ms latency, plus the 6-float model down and up at 100 Mbit/s.
        SimulationResult result = await MeasurementPolicy.RunAsync(Job(Fixed(10)), s_data, TestContext.Current.CancellationToken);

        double expected = 8 + 0.1 + (2 * 6 * 4 / 12.5e6);
        Assert.All(result.Federated.Rounds, r => Assert.Equal(expected, r.Elapsed.TotalSeconds, 6));
        Assert.Equal(3 * expected, result.Federated.Elapsed.TotalSeconds, 5);
    }

    [Fact]
    public async Task SameSeedSameTimelineAndModel()
    {
        SimulationProfiles profiles = new(new Dictionary<string, SiteProfileSettings>
        {
            [SimulationProfiles.DefaultKey] = new() { Speed = new ProfileRange(5, 50), Dropout = 0.3 },
        });

        SimulationResult first = await MeasurementPolicy.RunAsync(Job(profiles, rounds: 5), s_data, TestContext.Current.CancellationToken);
        SimulationResult second = await MeasurementPolicy.RunAsync(Job(profiles, rounds: 5), s_data, TestContext.Current.CancellationToken);

        Assert.Equal(first.Federated.Rounds.Select(r => r.Elapsed), second.Federated.Rounds.Select(r => r.Elapsed));
        Assert.Equal(first.Federated.Rounds.Select(r => r.Contributors.Count), second.Federated.Rounds.Select(r => r.Contributors.Count));
        Assert.Equal(first.Federated.FinalModel.Parameters.Values.ToArray(), second.Federated.FinalModel.Parameters.Values.ToArray());
    }

    [Fact]
    public async Task DropoutsLeaveSitesOutOfRounds()
    {
        SimulationResult result = await MeasurementPolicy.RunAsync(Job(Fixed(100, dropout: 0.5), rounds: 10), s_data, TestContext.Current.CancellationToken);

        int missed = result.Federated.Rounds.Sum(r => r.Failures.Count(f => f is Missed));
        int contributed = result.Federated.Rounds.Sum(r => r.Contributors.Count);
        Assert.Equal(40, missed + contributed);
        Assert.InRange(missed, 10, 30); // 20 expected of 40 at p = 0.5; seeded, so this is one fixed draw
    }

    [Fact]
    public async Task DeadlineCutsOffTheSlowSite()
    {
        SimulationProfiles profiles = new(new Dictionary<string, SiteProfileSettings>
        {
            [SimulationProfiles.DefaultKey] = new() { Speed = ProfileRange.Fixed(100) },
            ["site0"] = new() { Speed = ProfileRange.Fixed(1) }, // 80 s for the job's work
        });

        SimulationResult result = await MeasurementPolicy.RunAsync(Job(profiles, scheduling: new SchedulingOptions { Deadline = TimeSpan.FromSeconds(10) }), s_data, TestContext.Current.CancellationToken);

        Assert.All(result.Federated.Rounds, r =>
        {
            Assert.DoesNotContain(new SiteId("site0"), r.Contributors);
            Assert.Contains(r.Failures, f => f is Missed && f.Site == new SiteId("site0"));
            Assert.Equal(TimeSpan.FromSeconds(10), r.Elapsed);
        });
    }

    [Fact]
    public async Task CapacitySizedWorkBringsTheSlowSiteBackInsideTheDeadline()
    {
        SimulationProfiles profiles = new(new Dictionary<string, SiteProfileSettings>
        {
            [SimulationProfiles.DefaultKey] = new() { Speed = ProfileRange.Fixed(100) },
            ["site0"] = new() { Speed = ProfileRange.Fixed(1) },
        });
        SchedulingOptions scheduling = new() { Deadline = TimeSpan.FromSeconds(10), CapacitySizedWork = true, WorkShare = 0.8 };

        SimulationResult result = await MeasurementPolicy.RunAsync(Job(profiles, scheduling: scheduling), s_data, TestContext.Current.CancellationToken);

        // site0 fits 1 × 8 s ÷ 4 = 2 steps; the others the job's 20 (0.8 s), so the round ends when site0 finishes.
        Assert.All(result.Federated.Rounds, r => Assert.Equal(4, r.Contributors.Count));
        Assert.All(result.Federated.Rounds, r => Assert.InRange(r.Elapsed.TotalSeconds, 8, 8.2));
    }

    [Fact]
    public async Task OverSelectionKeepsTheFirstToFinish()
    {
        SimulationProfiles profiles = new(new Dictionary<string, SiteProfileSettings>
        {
            [SimulationProfiles.DefaultKey] = new() { Speed = ProfileRange.Fixed(100) },
            ["site2"] = new() { Speed = ProfileRange.Fixed(5) },
        });
        SchedulingOptions scheduling = new() { Fraction = 0.75, OverSelection = 0.34 }; // ask 4, keep 3

        SimulationResult result = await MeasurementPolicy.RunAsync(Job(profiles, scheduling: scheduling), s_data, TestContext.Current.CancellationToken);

        Assert.All(result.Federated.Rounds, r =>
        {
            Assert.Equal(["site0", "site1", "site3"], r.Contributors.Select(s => s.Value));
            Assert.InRange(r.Elapsed.TotalSeconds, 0.8, 1.0); // not the slow site's 16 s
        });
    }

    [Fact]
    public async Task FedBuffAggregatesTheFirstUpdatesWithoutWaitingForTheSlowSite()
    {
        SimulationProfiles profiles = new(new Dictionary<string, SiteProfileSettings>
        {
            [SimulationProfiles.DefaultKey] = new() { Speed = ProfileRange.Fixed(100) }, // 0.8 s for the job's work
            ["site0"] = new() { Speed = ProfileRange.Fixed(1) }, // 80 s
        });

        SimulationResult result = await MeasurementPolicy.RunAsync(Job(profiles, rounds: 6, scheduling: new SchedulingOptions { Buffer = 2 }), s_data, TestContext.Current.CancellationToken);

        Assert.All(result.Federated.Rounds, r => Assert.Equal(2, r.Contributors.Count));
        Assert.All(result.Federated.Rounds, r => Assert.DoesNotContain(new SiteId("site0"), r.Contributors));
        Assert.All(result.Federated.Rounds, r => Assert.Empty(r.Failures)); // sites still working are not missed
        Assert.InRange(result.Federated.Elapsed.TotalSeconds, 2, 6); // a synchronous round alone would take 80 s
        // The third fast site, left in flight by round 1, arrives (stale) in round 2.
        Assert.Contains(new SiteId("site3"), result.Federated.Rounds[1].Contributors);
    }

    [Fact]
    public async Task SecureFedBuff_RunsTheSameTimeline_ToThePlainModelWithinQuantisation()
    {
        // 80 examples of work: site1 and site2 take 0.8 s, site3 1.6 s, site0 2 s, so later buffers hold stale updates.
        SimulationProfiles profiles = new(new Dictionary<string, SiteProfileSettings>
        {
            [SimulationProfiles.DefaultKey] = new() { Speed = ProfileRange.Fixed(100) },
            ["site0"] = new() { Speed = ProfileRange.Fixed(40) },
            ["site3"] = new() { Speed = ProfileRange.Fixed(50) },
        });
        JobDefinition plainJob = Job(profiles, rounds: 5, scheduling: new SchedulingOptions { Buffer = 3 });
        JobDefinition secureJob = plainJob with { Engine = plainJob.Engine with { SecureAggregation = new Consortia.Federation.SecureAggregation.SecureAggregationSettings { ClipRange = 1000 } } };

        SimulationResult plain = await MeasurementPolicy.RunAsync(plainJob, s_data, TestContext.Current.CancellationToken);
        SimulationResult secure = await MeasurementPolicy.RunAsync(secureJob, s_data, TestContext.Current.CancellationToken);

        Assert.All(secure.Federated.Rounds, r => Assert.True(r.Aggregated, r.AggregationFailure));
        Assert.Equal(plain.Federated.Rounds.Select(r => string.Join(',', r.Contributors)), secure.Federated.Rounds.Select(r => string.Join(',', r.Contributors)));
        Assert.Equal(plain.Federated.Rounds.Select(r => r.Elapsed), secure.Federated.Rounds.Select(r => r.Elapsed));
        Assert.Contains(new SiteId("site0"), secure.Federated.Rounds[1].Contributors); // trained on round 1's model: stale
        float[] expected = plain.Federated.FinalModel.Parameters.Values.ToArray();
        float[] actual = secure.Federated.FinalModel.Parameters.Values.ToArray();
        Assert.All(expected.Zip(actual), p => Assert.Equal(p.First, p.Second, 3));
    }

    [Fact]
    public async Task OfflineWindowKeepsTheSiteOutWhileItIsClosed()
    {
        // The simulation starts at midnight; site1 is offline until 06:00 and each round takes ~8 s.
        SimulationProfiles profiles = new(new Dictionary<string, SiteProfileSettings>
        {
            [SimulationProfiles.DefaultKey] = new() { Speed = ProfileRange.Fixed(10) },
            ["site1"] = new() { Speed = ProfileRange.Fixed(10), Offline = [new OfflineWindow(TimeSpan.FromHours(22), TimeSpan.FromHours(6))] },
        });

        SimulationResult result = await MeasurementPolicy.RunAsync(Job(profiles), s_data, TestContext.Current.CancellationToken);

        Assert.All(result.Federated.Rounds, r => Assert.DoesNotContain(new SiteId("site1"), r.Contributors));
    }
}
