using System.Threading.Channels;
using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Network.Transport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Prometheus;

namespace Consortia.Network.Tests.Transport;

/// <summary>What the coordinator knows of its sites' connections (<c>site list</c>) and the connected-sites gauge.</summary>
public sealed class SiteConnectionTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task ConnectedGauge_FallsWhenAStreamCloses_NotOnlyOnRevocation()
    {
        NetworkMetrics metrics = new();
        GrpcSiteTransport transport = new([], _time, NullLogger.Instance, null, metrics);
        ChannelReader<object> a = transport.Open(new SiteId("a"), "1.2.3", 4);
        ChannelReader<object> b = transport.Open(new SiteId("b"), "1.2.3", 2);
        Assert.Equal(2, await ConnectedAsync(metrics));

        transport.Close(new SiteId("a"), a);
        Assert.Equal(1, await ConnectedAsync(metrics));
        transport.Close(new SiteId("a"), a); // twice: no change
        Assert.Equal(1, await ConnectedAsync(metrics));

        ChannelReader<object> newer = transport.Open(new SiteId("b"), "1.2.4", 2); // a reconnection replaces the old stream
        transport.Close(new SiteId("b"), b); // the old stream's late close leaves the new one open
        Assert.Equal(1, await ConnectedAsync(metrics));
        transport.Close(new SiteId("b"), newer);
        Assert.Equal(0, await ConnectedAsync(metrics));
    }

    [Fact]
    public void JobSession_ExposesTheSpeedsItsRosterReported_IgnoringHostileValues()
    {
        GrpcSiteTransport transport = new([], _time, NullLogger.Instance);
        transport.Open(new SiteId("a"), "1.2.3", 2, examplesPerSecond: 1_500);
        transport.Open(new SiteId("b"), "1.2.3", 2, examplesPerSecond: double.NaN);
        transport.Open(new SiteId("c"), "1.2.3", 2, examplesPerSecond: 99);
        using GrpcSiteTransport.JobSession job = transport.BeginJob("job-1", "name: x", [new SiteId("a"), new SiteId("b")]);

        IReadOnlyDictionary<SiteId, Federation.Transport.SiteCapacity> capacities = job.Capacities;

        Assert.Equal([new SiteId("a")], capacities.Keys); // b reported nothing usable; c is not in the job
        Assert.Equal(1_500, capacities[new SiteId("a")].ExamplesPerSecond);
    }

    [Fact]
    public void Sites_ReportStateLastSeenVersionCapacityJobsAndConsortia()
    {
        GrpcSiteTransport transport = new([], _time, NullLogger.Instance);
        ChannelReader<object> a = transport.Open(new SiteId("a"), "1.2.3", 4);
        transport.Open(new SiteId("b"), "0.9", 1);
        using GrpcSiteTransport.JobSession job = transport.BeginJob("job-1", "name: x", [new SiteId("a")]);
        job.Consortium = "heart";
        _time.Advance(TimeSpan.FromMinutes(3));
        transport.Close(new SiteId("a"), a);

        IReadOnlyList<SiteConnection> sites = transport.Sites();

        Assert.Equal(["a", "b"], sites.Select(s => s.Site.Value));
        SiteConnection gone = sites[0];
        Assert.False(gone.Connected);
        Assert.Equal(_time.GetUtcNow(), gone.LastSeen);
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromMinutes(3), gone.ConnectedSince);
        Assert.Equal(("1.2.3", 4), (gone.NodeVersion, gone.Capacity));
        Assert.Equal(["job-1"], gone.Jobs);
        Assert.Equal(["heart"], gone.Consortia);
        Assert.True(sites[1].Connected);
        Assert.Empty(sites[1].Jobs);
        Assert.Equal(("0.9", 1), (sites[1].NodeVersion, sites[1].Capacity));
    }

    [Fact]
    public async Task Node_MeasuresItsTrainingSpeed_AndTheCoordinatorSeesItWithTheReply()
    {
        // Each training task takes the time the handler moves the node's clock by: 10 steps × 8 examples in 2 s, then in 4 s.
        SiteId site = new("a");
        TimedTraining handler = new(site, _time, [TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)]);
        await using LoopbackFederation federation = await LoopbackFederation.StartAsync([site]);
        Node.SiteNode node = federation.StartNode(handler, time: _time);
        using GrpcSiteTransport.JobSession job = federation.Transport.BeginJob("job-speed", "name: x", [site]);
        Assert.Empty(job.Capacities); // nothing measured before the node has trained

        await TrainAsync(job, site, 1);
        Assert.Equal(40, job.Capacities[site].ExamplesPerSecond, 6); // 80 examples in 2 s
        await TrainAsync(job, site, 2);

        // A moving mean: 0.3 × 20 (80 examples in 4 s) + 0.7 × 40.
        Assert.Equal(34, job.Capacities[site].ExamplesPerSecond, 6);
        Assert.Equal(34, node.ExamplesPerSecond, 6);
    }

    private static async Task TrainAsync(GrpcSiteTransport.JobSession job, SiteId site, int round)
    {
        Learning.Training.LocalTrainingOptions training = new() { BatchSize = 8, LocalSteps = 10 };
        TrainTask task = new(site, new RoundNumber(round), new Learning.ParameterVector(Learning.ParameterLayout.Create(("w", [3]))), training);
        List<SiteReply> replies = [];
        await foreach (SiteReply reply in job.DispatchAsync([task], TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken))
        {
            replies.Add(reply);
        }

        Assert.IsType<TrainingCompleted>(Assert.Single(replies));
    }

    /// <summary>Answers training tasks after moving the node's clock by the next of <paramref name="durations"/>.</summary>
    private sealed class TimedTraining(SiteId site, FakeTimeProvider time, TimeSpan[] durations) : Node.ISiteWorkHandler
    {
        private int _next;

        public SiteId Site => site;

        public ValueTask<Node.JobReadiness> PrepareJobAsync(string jobId, string jobYaml, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new Node.JobReadiness(true, 3));

        public ValueTask<SiteReply> HandleAsync(string jobId, SiteTask task, CancellationToken cancellationToken)
        {
            TrainTask train = (TrainTask)task;
            time.Advance(durations[_next++]);
            return ValueTask.FromResult<SiteReply>(new TrainingCompleted(site, task.Round, new SiteUpdate(site, train.GlobalParameters.Clone(), 1, 0, train.Training.LocalSteps!.Value)));
        }

        public void EndJob(string jobId)
        {
        }
    }

    private static async Task<double> ConnectedAsync(NetworkMetrics metrics)
    {
        using MemoryStream buffer = new();
        await metrics.Registry.CollectAndExportAsTextAsync(buffer, TestContext.Current.CancellationToken);
        string text = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        string line = text.Split('\n').Single(l => l.StartsWith("consortia_sites_connected ", StringComparison.Ordinal));
        return double.Parse(line["consortia_sites_connected ".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }
}
