using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Xunit;

namespace Consortia.TestKit;

/// <summary>
/// The behaviour every <see cref="ISiteTransport"/> must show, whatever carries the messages.
/// Subclass once per implementation (in-process, gRPC) and implement <see cref="CreateTransport"/>.
/// </summary>
public abstract class SiteTransportContractTests
{
    /// <summary>Builds the transport under test over the given agents.</summary>
    /// <param name="agents">The site agents.</param>
    /// <returns>The transport.</returns>
    protected abstract ISiteTransport CreateTransport(IReadOnlyList<SiteAgent> agents);

    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);

    private static SiteAgent[] Agents(FederatedDataset data) =>
        TestSites.Agents(data, s_spec, [MetricKind.Accuracy], 8, i => new RandomSource((ulong)i));

    private static ParameterVector Zero() => new(s_spec.CreateLayout());

    [Fact]
    public async Task Dispatch_TrainTasks_OneCompletedReplyPerSite()
    {
        FederatedDataset data = Some.ClassificationFederation();
        ISiteTransport transport = CreateTransport(Agents(data));
        SiteTask[] tasks = [.. transport.Roster.Select(s => (SiteTask)new TrainTask(s, new RoundNumber(1), Zero(), new LocalTrainingOptions { BatchSize = 8, LocalSteps = 3 }) { Participants = transport.Roster.Count, JobSha256 = TestSites.JobSha256 })];

        List<SiteReply> replies = await Collect(transport, tasks);

        Assert.Equal(transport.Roster.OrderBy(s => s.Value), replies.Select(r => r.Site).OrderBy(s => s.Value));
        foreach (TrainingCompleted completed in replies.Cast<TrainingCompleted>())
        {
            SiteData site = data.Sites.Single(s => s.Name == completed.Site.Value);
            Assert.Equal(site.Train.Count, completed.Update.Weight);
            Assert.Equal(3, completed.Update.Steps);
            Assert.True(completed.Update.WeightedDelta.Layout.Equals(s_spec.CreateLayout()));
        }
    }

    [Fact]
    public async Task Dispatch_EvaluateTasks_ReturnsAggregateMetricsOnly()
    {
        FederatedDataset data = Some.ClassificationFederation();
        ISiteTransport transport = CreateTransport(Agents(data));
        SiteTask[] tasks = [.. transport.Roster.Select(s => (SiteTask)new EvaluateTask(s, new RoundNumber(1), Zero()) { JobSha256 = TestSites.JobSha256 })];

        List<SiteReply> replies = await Collect(transport, tasks);

        Assert.All(replies, r =>
        {
            EvaluationReport report = Assert.IsType<EvaluationCompleted>(r).Report;
            Assert.Equal(MetricKind.Accuracy, Assert.Single(report.Metrics).Kind);
            Assert.InRange(report.Metrics[0].Value, 0, 1);
        });
    }

    [Fact]
    public async Task Dispatch_UnknownSite_RepliesFailedWithoutThrowing()
    {
        ISiteTransport transport = CreateTransport(Agents(Some.ClassificationFederation(2)));

        List<SiteReply> replies = await Collect(transport, [new EvaluateTask(new SiteId("nowhere"), new RoundNumber(1), Zero())]);

        Failed failed = Assert.IsType<Failed>(Assert.Single(replies));
        Assert.Equal(new SiteId("nowhere"), failed.Site);
    }

    [Fact]
    public async Task Dispatch_NoTasks_YieldsNothing()
    {
        ISiteTransport transport = CreateTransport(Agents(Some.ClassificationFederation(2)));

        List<SiteReply> replies = await Collect(transport, []);

        Assert.Empty(replies);
    }

    [Fact]
    public async Task Dispatch_WrongLayout_RepliesFailedWithoutDataValues()
    {
        ISiteTransport transport = CreateTransport(Agents(Some.ClassificationFederation(2)));
        ParameterVector wrong = new(ParameterLayout.Create(("w", [3])));

        List<SiteReply> replies = await Collect(transport, [new EvaluateTask(transport.Roster[0], new RoundNumber(1), wrong)]);

        Failed failed = Assert.IsType<Failed>(Assert.Single(replies));
        Assert.Equal("invalid-parameters", failed.Code);
    }

    private static async Task<List<SiteReply>> Collect(ISiteTransport transport, IReadOnlyList<SiteTask> tasks)
    {
        List<SiteReply> replies = [];
        using CancellationTokenSource timeout = new(TimeSpan.FromSeconds(30));
        await foreach (SiteReply reply in transport.DispatchAsync(tasks, null, timeout.Token))
        {
            replies.Add(reply);
        }

        return replies;
    }
}
