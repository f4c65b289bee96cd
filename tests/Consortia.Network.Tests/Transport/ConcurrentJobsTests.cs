using System.Collections.Concurrent;
using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Learning;
using Consortia.Learning.Training;
using Consortia.Network.Node;
using Consortia.Network.Protos;
using Consortia.Network.Transport;
using Grpc.Core;

namespace Consortia.Network.Tests.Transport;

/// <summary>
/// Several jobs on one coordinator and the same nodes, over real mutual TLS on loopback: each job has its own
/// roster and rounds, a reply counts only for the job its item belongs to, and ending one job leaves the others
/// running.
/// </summary>
public sealed class ConcurrentJobsTests
{
    private static readonly SiteId s_a = new("site-a");
    private static readonly SiteId s_b = new("site-b");
    private static readonly ParameterLayout s_layout = ParameterLayout.Create(("w", [4]));
    private static readonly LocalTrainingOptions s_training = new() { BatchSize = 8, LocalSteps = 1 };
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TwoJobs_InterleavedOnTheSameNodes_EachGetsItsOwnReplies_AndRunSideBySide()
    {
        await using LoopbackFederation federation = await LoopbackFederation.StartAsync([]);
        RecordingHandler a = new(s_a);
        RecordingHandler b = new(s_b);
        federation.StartNode(a);
        federation.StartNode(b);
        using GrpcSiteTransport.JobSession one = federation.Transport.BeginJob("job-1", "name: one", [s_a, s_b]);
        using GrpcSiteTransport.JobSession two = federation.Transport.BeginJob("job-2", "name: two", [s_a, s_b]);

        IReadOnlyDictionary<SiteId, JobReadiness>[] ready = await Task.WhenAll(one.PrepareAsync(s_wait, Cancel), two.PrepareAsync(s_wait, Cancel));

        Assert.All(ready, r => Assert.True(r.Count == 2 && r.Values.All(v => v.Accepted)));

        // Site a holds job 1's first task until job 2's task has started there: only a node that runs the two
        // jobs side by side gets past this.
        a.Hold("job-1", a.Started("job-2"));
        for (int round = 1; round <= 3; round++)
        {
            Task<List<SiteReply>> first = CollectAsync(one, round, value: 1 + round, Cancel);
            Task<List<SiteReply>> second = CollectAsync(two, round, value: 100 + round, Cancel);
            List<SiteReply>[] replies = await Task.WhenAll(first, second).WaitAsync(s_wait, Cancel);

            AssertEchoed(replies[0], 1 + round);
            AssertEchoed(replies[1], 100 + round);
        }

        Assert.Equal(new[] { "job-1", "job-2" }, federation.Transport.ActiveJobs);
        foreach (RecordingHandler handler in new[] { a, b })
        {
            // Each job's tasks reached each node in round order, tagged with their own job.
            Assert.Equal(new long[] { 1, 2, 3 }, handler.Tasks.Where(t => t.Job == "job-1").Select(t => t.Round));
            Assert.Equal(new long[] { 1, 2, 3 }, handler.Tasks.Where(t => t.Job == "job-2").Select(t => t.Round));
        }
    }

    [Fact]
    public async Task Reply_TaggedWithAnotherJob_OrAJobTheSiteIsNotIn_IsRefused_AndTheRightOneAccepted()
    {
        await using LoopbackFederation federation = await LoopbackFederation.StartAsync([]);
        using GrpcSiteTransport.JobSession one = federation.Transport.BeginJob("job-1", "name: one", [s_a, s_b]);
        using GrpcSiteTransport.JobSession two = federation.Transport.BeginJob("job-2", "name: two", [s_a]);
        await using IAsyncEnumerator<SiteReply> replies = one
            .DispatchAsync([new EvaluateTask(s_a, new RoundNumber(1), new ParameterVector(s_layout)), new EvaluateTask(s_b, new RoundNumber(1), new ParameterVector(s_layout))], s_wait, Cancel)
            .GetAsyncEnumerator(Cancel);
        ValueTask<bool> first = replies.MoveNextAsync();
        string itemOfA = Assert.Single(federation.Transport.PendingFor(s_a));
        string itemOfB = Assert.Single(federation.Transport.PendingFor(s_b));
        SiteGateway.SiteGatewayClient a = federation.Client(federation.Pki.Issue(s_a.Value));
        SiteGateway.SiteGatewayClient b = federation.Client(federation.Pki.Issue(s_b.Value));

        RpcException otherJob = await Assert.ThrowsAsync<RpcException>(() => PushAsync(a, Failed(itemOfA, "job-2")));
        RpcException notInJob = await Assert.ThrowsAsync<RpcException>(() => PushAsync(b, Failed(itemOfB, "job-2")));
        RpcException unknownJob = await Assert.ThrowsAsync<RpcException>(() => PushAsync(a, Failed(itemOfA, "job-9")));
        RpcException noJob = await Assert.ThrowsAsync<RpcException>(() => PushAsync(a, Failed(itemOfA, "")));
        await PushAsync(a, Failed(itemOfA, "job-1"));

        Assert.All(new[] { otherJob, notInJob, unknownJob, noJob }, e => Assert.Equal(StatusCode.FailedPrecondition, e.StatusCode));
        Assert.Contains("is of job 'job-1', the reply says job 'job-2'", otherJob.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("site 'site-b' is not part of job 'job-2'", notInJob.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("job 'job-9', which is not running", unknownJob.Status.Detail, StringComparison.Ordinal);
        Assert.True(await first);
        Assert.Equal(s_a, Assert.IsType<Failed>(replies.Current).Site);
        Assert.Equal(new[] { itemOfB }, federation.Transport.PendingFor(s_b));
    }

    [Fact]
    public async Task EndingOneJob_MidRound_LeavesTheOtherCompleting_AndTheNodesReleaseOnlyTheEndedOne()
    {
        await using LoopbackFederation federation = await LoopbackFederation.StartAsync([]);
        RecordingHandler a = new(s_a);
        RecordingHandler b = new(s_b);
        federation.StartNode(a);
        federation.StartNode(b);
        using GrpcSiteTransport.JobSession one = federation.Transport.BeginJob("job-1", "name: one", [s_a, s_b]);
        using GrpcSiteTransport.JobSession two = federation.Transport.BeginJob("job-2", "name: two", [s_a, s_b]);
        await Task.WhenAll(one.PrepareAsync(s_wait, Cancel), two.PrepareAsync(s_wait, Cancel));

        // Job 1's round 1 never finishes at the sites; the operator cancels job 1 meanwhile.
        TaskCompletionSource never = new();
        a.Hold("job-1", never.Task);
        b.Hold("job-1", never.Task);
        using CancellationTokenSource cancelOne = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        Task<List<SiteReply>> stuck = CollectAsync(one, 1, value: 1, cancelOne.Token);
        await Task.WhenAll(a.Started("job-1"), b.Started("job-1")).WaitAsync(s_wait, Cancel);
        await cancelOne.CancelAsync();
        one.Dispose(); // the coordinator ends job 1 on the wire
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stuck);

        List<SiteReply>[] rounds = [await CollectAsync(two, 1, value: 7, Cancel), await CollectAsync(two, 2, value: 8, Cancel)];
        await Task.WhenAll(a.Released("job-1"), b.Released("job-1")).WaitAsync(s_wait, Cancel);

        AssertEchoed(rounds[0], 7);
        AssertEchoed(rounds[1], 8);
        Assert.Equal(new[] { "job-2" }, federation.Transport.ActiveJobs);
        Assert.DoesNotContain("job-2", a.Ended);
        Assert.DoesNotContain("job-2", b.Ended);
    }

    private static async Task<List<SiteReply>> CollectAsync(GrpcSiteTransport.JobSession job, int round, float value, CancellationToken cancellationToken)
    {
        ParameterVector global = new(s_layout);
        global.Values.Fill(value);
        List<SiteReply> replies = [];
        SiteTask[] tasks = [.. job.Roster.Select(site => new TrainTask(site, new RoundNumber(round), global, s_training))];
        await foreach (SiteReply reply in job.DispatchAsync(tasks, s_wait, cancellationToken))
        {
            replies.Add(reply);
        }

        return replies;
    }

    private static void AssertEchoed(List<SiteReply> replies, float value)
    {
        Assert.Equal(2, replies.Count);
        Assert.All(replies, r => Assert.All(Assert.IsType<TrainingCompleted>(r).Update.WeightedDelta.Values.ToArray(), v => Assert.Equal(value, v)));
    }

    private static ReplyFrame[] Failed(string item, string job) =>
        [new ReplyFrame { Reply = new ReplyHeader { ItemId = item, JobId = job, Round = 1, Failed = new FailedProto { Code = "x", Message = "y" } } }];

    private static async Task PushAsync(SiteGateway.SiteGatewayClient client, params ReplyFrame[] frames)
    {
        using AsyncClientStreamingCall<ReplyFrame, PushReplyAck> call = client.PushReply(cancellationToken: Cancel);
        foreach (ReplyFrame frame in frames)
        {
            await call.RequestStream.WriteAsync(frame, Cancel);
        }

        await call.RequestStream.CompleteAsync();
        await call.ResponseAsync;
    }

    /// <summary>Echoes each training task's parameters, records what it ran and released, and can hold a job's tasks.</summary>
    private sealed class RecordingHandler(SiteId site) : ISiteWorkHandler
    {
        private readonly ConcurrentDictionary<string, Task> _holds = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _started = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, TaskCompletionSource> _released = new(StringComparer.Ordinal);

        public SiteId Site => site;

        public ConcurrentQueue<(string Job, long Round)> Tasks { get; } = new();

        public ConcurrentQueue<string> Ended { get; } = new();

        /// <summary>Tasks of <paramref name="job"/> wait for <paramref name="until"/> before answering.</summary>
        public void Hold(string job, Task until) => _holds[job] = until;

        public Task Started(string job) => Signal(_started, job).Task;

        public Task Released(string job) => Signal(_released, job).Task;

        public ValueTask<JobReadiness> PrepareJobAsync(string jobId, string jobYaml, CancellationToken cancellationToken) =>
            ValueTask.FromResult(new JobReadiness(true, 4));

        public async ValueTask<SiteReply> HandleAsync(string jobId, SiteTask task, CancellationToken cancellationToken)
        {
            Tasks.Enqueue((jobId, task.Round.Value));
            Signal(_started, jobId).TrySetResult();
            if (_holds.TryGetValue(jobId, out Task? hold))
            {
                await hold.WaitAsync(cancellationToken);
            }

            return new TrainingCompleted(site, task.Round, new SiteUpdate(site, ((TrainTask)task).GlobalParameters.Clone(), 1, 0, 1));
        }

        public void EndJob(string jobId)
        {
            Ended.Enqueue(jobId);
            Signal(_released, jobId).TrySetResult();
        }

        private static TaskCompletionSource Signal(ConcurrentDictionary<string, TaskCompletionSource> signals, string job) =>
            signals.GetOrAdd(job, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
