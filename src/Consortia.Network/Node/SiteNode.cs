using System.Threading.Channels;
using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Network.Protos;
using Consortia.Network.Transport;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Node;

/// <summary>Whether a node's local data can run a job, as it answers the job's announcement.</summary>
/// <param name="Accepted">Whether the node will take the job's tasks.</param>
/// <param name="FeatureCount">The number of model input features of the local data (when accepted).</param>
/// <param name="Code">Why not, as a short code (when refused).</param>
/// <param name="Message">Why not, without data values (when refused).</param>
public sealed record JobReadiness(bool Accepted, int FeatureCount, string Code = "", string Message = "");

/// <summary>What a node does with the work it pulls: the site's side of federated learning.</summary>
public interface ISiteWorkHandler
{
    /// <summary>The site this node is (its certificate's name).</summary>
    public SiteId Site { get; }

    /// <summary>Gets ready for a job: reads the local data it needs and checks it against the job.</summary>
    /// <param name="jobId">The job's id.</param>
    /// <param name="jobYaml">The job file as submitted.</param>
    /// <param name="cancellationToken">Cancels the preparation.</param>
    /// <returns>Whether the node takes the job.</returns>
    public ValueTask<JobReadiness> PrepareJobAsync(string jobId, string jobYaml, CancellationToken cancellationToken);

    /// <summary>Answers one task of a prepared job. Tasks of one job come one at a time; tasks of different jobs may overlap.</summary>
    /// <param name="jobId">The job the task is part of.</param>
    /// <param name="task">The task.</param>
    /// <param name="cancellationToken">Cancels the work.</param>
    /// <returns>The reply (failures are values, not exceptions).</returns>
    public ValueTask<SiteReply> HandleAsync(string jobId, SiteTask task, CancellationToken cancellationToken);

    /// <summary>Releases what was prepared for a job that has ended (called once no task of it is running).</summary>
    /// <param name="jobId">The job's id.</param>
    public void EndJob(string jobId);
}

/// <summary>How a node connects and retries.</summary>
public sealed record SiteNodeOptions
{
    /// <summary>The first reconnection delay's upper bound (the delay doubles up to <see cref="MaxBackoff"/>, with jitter).</summary>
    public TimeSpan InitialBackoff { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest reconnection delay; also the delay after a failure that retrying soon cannot fix (revoked, duplicate identity, wrong port).</summary>
    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The jitter's random source (seed it in tests); a new unseeded one when null.</summary>
    public Random? Jitter { get; init; }

    /// <summary>How often the node tells the coordinator it is alive.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How many tasks run at once; tasks of one job always run one after another, so this is concurrency across jobs.</summary>
    public int MaxConcurrentTasks { get; init; } = 2;

    /// <summary>The node's training speed in examples per second as the operator states it (site.yaml
    /// <c>capacity.examples_per_second</c>), reported to the coordinator instead of the node's own measurement (capacity-sized
    /// work in a job's scheduling); 0 reports what the node measures from its training tasks.</summary>
    /// <value>Default: 0 (measured).</value>
    public double ExamplesPerSecond { get; init; }

    /// <summary>The node software version reported to the coordinator.</summary>
    public string Version { get; init; } = typeof(SiteNode).Assembly.GetName().Version?.ToString() ?? "0";

    /// <summary>
    /// This node process's id, sent when it opens its work stream: the coordinator refuses a second process
    /// with the same site identity while this one holds the stream. A new random id per node when empty.
    /// </summary>
    public string Instance { get; init; } = "";

    /// <summary>The coordinator's address as configured, for the messages that explain connection problems.</summary>
    public string Coordinator { get; init; } = "";

    /// <summary>Why the node's own TLS check last refused the coordinator's certificate (null when it did not).</summary>
    public Func<string?>? TlsRefusal { get; init; }
}

/// <summary>
/// A site node's connection to the coordinator: dials out (hospital firewalls allow outbound only), pulls
/// work, answers it with the handler, and reconnects by itself with exponential backoff when the link drops.
/// </summary>
/// <remarks>
/// Each job's work runs one item at a time in arrival order (a site agent handles one task at a time); the
/// work of different jobs runs side by side, up to <see cref="SiteNodeOptions.MaxConcurrentTasks"/> items at
/// once. Answers are pushed on separate calls and retried across reconnections while the coordinator still
/// waits for them. When the coordinator's list of running jobs no longer names a job, its queued work is
/// dropped and the handler releases it.
/// </remarks>
public sealed partial class SiteNode
{
    private readonly ISiteWorkHandler _handler;
    private readonly ReconnectBackoff _backoff;
    private readonly ReconnectBackoff _pushBackoff;
    private readonly string _instance;
    private SiteGateway.SiteGatewayClient _client;
    private CancellationTokenSource? _stream;
    private ConnectionProblem? _problem;
    private readonly SiteNodeOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly Dictionary<string, JobQueue> _jobs = new(StringComparer.Ordinal);
    private readonly List<Task> _workers = [];
    private readonly Dictionary<Task, string> _ending = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private readonly Queue<string> _seenOrder = new();
    private readonly Lock _gate = new();
    private int _connections;
    private int _failures;
    private int _open;
    private readonly TrainingSpeed _speed = new();

    /// <summary>Creates a node.</summary>
    /// <param name="client">The gRPC client of the coordinator's site gateway (over mutual TLS).</param>
    /// <param name="handler">Does the work.</param>
    /// <param name="options">Backoff and heartbeat settings.</param>
    /// <param name="time">The clock for backoff and heartbeats.</param>
    /// <param name="log">The node's log (the full detail of local failures stays here).</param>
    internal SiteNode(SiteGateway.SiteGatewayClient client, ISiteWorkHandler handler, SiteNodeOptions options, TimeProvider time, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConcurrentTasks, 1);
        _client = client;
        _handler = handler;
        _options = options;
        _time = time;
        _log = log;
        // Jitter spreads reconnections in time; it protects nothing, so any seed will do outside tests.
        Random jitter = options.Jitter ?? new Random(System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue));
        _backoff = new ReconnectBackoff(options.InitialBackoff, options.MaxBackoff, jitter);
        _pushBackoff = new ReconnectBackoff(options.InitialBackoff, options.MaxBackoff, new Random(jitter.Next()));
        _instance = options.Instance.Length > 0 ? options.Instance : Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(6));
    }

    /// <summary>The training speed the node reports (examples per second): the operator's setting, else its measurement
    /// over its recent training tasks; 0 until it has trained.</summary>
    public double ExamplesPerSecond => _options.ExamplesPerSecond > 0 ? _options.ExamplesPerSecond : _speed.ExamplesPerSecond;

    /// <summary>Why the node is not connected now (null while connected, or before the first attempt).</summary>
    public ConnectionProblem? Problem => Volatile.Read(ref _problem);

    /// <summary>This node process's instance id (sent to the coordinator when the work stream opens).</summary>
    public string Instance => _instance;

    /// <summary>
    /// Switches to a new client (a renewed certificate needs a new TLS connection) and reopens the work stream on
    /// it. Replies being pushed on the old client finish there; the old certificate stays valid until its expiry.
    /// </summary>
    /// <param name="client">The client over the new connection.</param>
    internal void Reconnect(SiteGateway.SiteGatewayClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        lock (_gate)
        {
            _client = client;
            _stream?.Cancel();
        }
    }

    private SiteGateway.SiteGatewayClient Client
    {
        get
        {
            lock (_gate)
            {
                return _client;
            }
        }
    }

    /// <summary>How many times the node has (re)opened its work stream.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>How many attempts to open the work stream have failed (or ended) since the node started.</summary>
    public int FailedAttempts => Volatile.Read(ref _failures);

    /// <summary>Whether the work stream is open now (readiness).</summary>
    public bool IsConnected => Volatile.Read(ref _open) == 1;

    /// <summary>Raised each time the work stream opens (tests and readiness probes wait on it).</summary>
    public event EventHandler? Connected;

    /// <summary>Runs until cancelled: connects, works, reconnects.</summary>
    /// <param name="cancellationToken">Stops the node (graceful shutdown).</param>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // The node's task slots, shared by the jobs' workers.
        using SemaphoreSlim slots = new(_options.MaxConcurrentTasks, _options.MaxConcurrentTasks);
        Task heartbeat = HeartbeatAsync(cancellationToken);
        while (!cancellationToken.IsCancellationRequested)
        {
            ConnectionProblem problem;
            using CancellationTokenSource stream = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            lock (_gate)
            {
                _stream = stream;
            }

            try
            {
                using AsyncServerStreamingCall<WorkFrame> call = Client.PullWork(new PullWorkRequest { NodeVersion = _options.Version, NodeInstance = _instance, MaxConcurrentTasks = _options.MaxConcurrentTasks, ExamplesPerSecond = ExamplesPerSecond }, cancellationToken: stream.Token);
                // Open once the first frame (the list of running jobs, sent as every stream opens) arrives: a refusal
                // (revoked, duplicate identity) comes as a headers-and-status response that only reading reveals.
                if (!await call.ResponseStream.MoveNext(stream.Token).ConfigureAwait(false))
                {
                    throw new RpcException(new Status(StatusCode.Unavailable, "the coordinator closed the work stream before its first frame"));
                }

                _backoff.Reset();
                Interlocked.Increment(ref _connections);
                Volatile.Write(ref _open, 1);
                Volatile.Write(ref _problem, null);
                LogConnected(_handler.Site.Value);
                Connected?.Invoke(this, EventArgs.Empty);
                await ReadAsync(call.ResponseStream, slots, stream.Token, cancellationToken).ConfigureAwait(false);
                problem = ConnectionProblem.StreamEnded(_options.Coordinator);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested && stream.IsCancellationRequested)
            {
                // Reconnect() switched the client: open the stream again at once on the new one.
                LogSwitched(_handler.Site.Value);
                continue;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is RpcException or IOException or HttpRequestException or InvalidDataException or System.Security.Authentication.AuthenticationException)
            {
                problem = ConnectionProblem.Describe(e, _options.Coordinator, _options.TlsRefusal?.Invoke());
            }
            catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or RpcException)
            {
                break;
            }
            finally
            {
                Volatile.Write(ref _open, 0);
                lock (_gate)
                {
                    _stream = null;
                }
            }

            // The reason is logged when it changes, not at every attempt: a node that cannot connect for a week
            // writes one line, not a million.
            Interlocked.Increment(ref _failures);
            ConnectionProblem? previous = Interlocked.Exchange(ref _problem, problem);
            TimeSpan delay = problem.Lasting ? _backoff.Longest() : _backoff.Next();
            if (previous is null || previous.Code != problem.Code)
            {
                LogProblem(_handler.Site.Value, problem.Code, problem.Message, delay.TotalSeconds);
            }

            try
            {
                await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        Task[] workers;
        lock (_gate)
        {
            foreach (JobQueue queue in _jobs.Values)
            {
                queue.Items.Writer.TryComplete();
            }

            workers = [.. _workers];
        }

        await Task.WhenAll([.. workers, heartbeat]).ConfigureAwait(false);
    }

    /// <summary>Reads the work stream, queueing each item behind its job's earlier work.</summary>
    /// <param name="frames">The work stream, on its first frame.</param>
    /// <param name="slots">The node's task slots.</param>
    /// <param name="streamToken">Ends this stream (shutdown, or a switch to a new connection).</param>
    /// <param name="cancellationToken">Stops the node: the jobs' work outlives a stream, not the node.</param>
    private async Task ReadAsync(IAsyncStreamReader<WorkFrame> frames, SemaphoreSlim slots, CancellationToken streamToken, CancellationToken cancellationToken)
    {
        TaskHeader? header = null;
        PayloadAssembler? payload = null;
        // The stream's first frame was read to know the stream was open: it is handled first.
        for (bool more = true; more; more = await frames.MoveNext(streamToken).ConfigureAwait(false))
        {
            WorkFrame frame = frames.Current;
            switch (frame.KindCase)
            {
                case WorkFrame.KindOneofCase.Job:
                    Enqueue(frame.Job.JobId, new WorkItem(frame.Job.ItemId, frame.Job.JobId, frame.Job, null), slots, cancellationToken);
                    break;
                case WorkFrame.KindOneofCase.ActiveJobs:
                    EndJobsExcept(new HashSet<string>(frame.ActiveJobs.JobIds, StringComparer.Ordinal));
                    break;
                case WorkFrame.KindOneofCase.Task when header is null:
                    header = frame.Task;
                    payload = new PayloadAssembler(header.ItemId, WireCodec.Vectors(header), header.PayloadBytes);
                    break;
                case WorkFrame.KindOneofCase.Chunk when header is not null:
                    payload!.Add(frame.Chunk);
                    break;
                default:
                    throw new InvalidDataException($"unexpected {frame.KindCase} frame from the coordinator.");
            }

            if (header is not null && payload!.IsComplete)
            {
                if (FirstTime(header.ItemId))
                {
                    Enqueue(header.JobId, new WorkItem(header.ItemId, header.JobId, null, WireCodec.Decode(header, payload, _handler.Site)), slots, cancellationToken);
                }

                header = null;
                payload = null;
            }
        }
    }

    /// <summary>Queues an item behind the earlier work of its job, starting the job's worker on its first item.</summary>
    private void Enqueue(string jobId, WorkItem item, SemaphoreSlim slots, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_jobs.TryGetValue(jobId, out JobQueue? queue))
            {
                // A job ended and begun again (the coordinator retried it) waits until its old worker has released it.
                Task previous = _workers.LastOrDefault(w => !w.IsCompleted && _ending.TryGetValue(w, out string? ended) && ended == jobId) ?? Task.CompletedTask;
                queue = new JobQueue(jobId, CancellationTokenSource.CreateLinkedTokenSource(cancellationToken));
                _jobs[jobId] = queue;
                Task worker = Task.Run(() => WorkAsync(queue, previous, slots), CancellationToken.None);
                _workers.RemoveAll(w => w.IsCompleted);
                _workers.Add(worker);
                queue.Worker = worker;
            }

            queue.Items.Writer.TryWrite(item);
        }
    }

    /// <summary>Ends the jobs the coordinator no longer runs: their queued and running work is dropped.</summary>
    private void EndJobsExcept(HashSet<string> active)
    {
        lock (_gate)
        {
            foreach (JobQueue queue in _jobs.Values.Where(q => !active.Contains(q.JobId)).ToList())
            {
                _jobs.Remove(queue.JobId);
                _ending[queue.Worker!] = queue.JobId;
                queue.Items.Writer.TryComplete();
                queue.Ended.Cancel();
                LogJobEnded(_handler.Site.Value, queue.JobId);
            }
        }
    }

    private async Task WorkAsync(JobQueue queue, Task previous, SemaphoreSlim slots)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing); // its own failure was its job's, not this one's
        CancellationToken cancellationToken = queue.Ended.Token;
        try
        {
            await foreach (WorkItem item in queue.Items.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    continue; // the job ended (or the node stops): its queued work is dropped
                }

                try
                {
                    await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    continue;
                }

                try
                {
                    await WorkAsync(item, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or RpcException)
                {
                    // The job ended or the node stops while this item ran.
                }
                finally
                {
                    slots.Release();
                }
            }
        }
        finally
        {
            _handler.EndJob(queue.JobId);
            lock (_gate)
            {
                _ending.Remove(queue.Worker!);
            }

            queue.Ended.Dispose();
        }
    }

    private async Task WorkAsync(WorkItem item, CancellationToken cancellationToken)
    {
        if (item.Job is { } job)
        {
            JobReadiness readiness = await _handler.PrepareJobAsync(job.JobId, job.JobYaml, cancellationToken).ConfigureAwait(false);
            if (!string.IsNullOrEmpty(item.Id))
            {
                ReplyHeader header = new()
                {
                    ItemId = item.Id,
                    JobId = job.JobId,
                    JobReady = new JobReadyProto { JobId = job.JobId, Accepted = readiness.Accepted, FeatureCount = readiness.FeatureCount, Code = readiness.Code, Message = readiness.Message },
                };
                await PushAsync(new WireItem<ReplyHeader>(header, []), cancellationToken).ConfigureAwait(false);
            }
        }
        else
        {
            long start = _time.GetTimestamp();
            SiteReply reply = await _handler.HandleAsync(item.JobId, item.Task!, cancellationToken).ConfigureAwait(false);
            if (item.Task is TrainTask train)
            {
                // The real speed of this machine on this job's model: what the site trained, over the time it took.
                int steps = reply switch
                {
                    TrainingCompleted completed => completed.Update.Steps,
                    TrainingPrepared prepared => prepared.Steps,
                    _ => 0, // refused or failed: nothing was trained
                };
                _speed.Record((long)steps * train.Training.BatchSize, _time.GetElapsedTime(start));
            }

            WireItem<ReplyHeader> wire = WireCodec.Encode(reply, item.Id);
            wire.Header.JobId = item.JobId;
            wire.Header.ExamplesPerSecond = ExamplesPerSecond;
            await PushAsync(wire, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Pushes a reply, retrying across reconnections until the coordinator accepts or refuses it.</summary>
    private async Task PushAsync(WireItem<ReplyHeader> reply, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                using AsyncClientStreamingCall<ReplyFrame, PushReplyAck> call = Client.PushReply(cancellationToken: cancellationToken);
                await call.RequestStream.WriteAsync(new ReplyFrame { Reply = reply.Header }, cancellationToken).ConfigureAwait(false);
                foreach (Chunk chunk in VectorPayload.Chunks(reply.Header.ItemId, reply.Payload))
                {
                    await call.RequestStream.WriteAsync(new ReplyFrame { Chunk = chunk }, cancellationToken).ConfigureAwait(false);
                }

                await call.RequestStream.CompleteAsync().ConfigureAwait(false);
                await call.ResponseAsync.ConfigureAwait(false);
                _pushBackoff.Reset();
                return;
            }
            catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.InvalidArgument or StatusCode.PermissionDenied)
            {
                // The coordinator no longer wants it (late, duplicate) or refuses it: retrying cannot help.
                LogReplyRefused(_handler.Site.Value, reply.Header.ItemId, e.Status.Detail);
                return;
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is RpcException or IOException or HttpRequestException)
            {
                if (attempt == 1)
                {
                    LogReplyRetry(_handler.Site.Value, reply.Header.ItemId, ConnectionProblem.Describe(e, _options.Coordinator).Message);
                }

                // At most a minute between attempts: the round's deadline is the limit that matters here.
                TimeSpan delay = _pushBackoff.Next();
                await Task.Delay(delay < TimeSpan.FromMinutes(1) ? delay : TimeSpan.FromMinutes(1), _time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task HeartbeatAsync(CancellationToken cancellationToken)
    {
        using PeriodicTimer timer = new(_options.HeartbeatInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await Client.HeartbeatAsync(new HeartbeatRequest(), cancellationToken: cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is RpcException or IOException or HttpRequestException)
                {
                    // The work stream's reconnection loop reports connection problems; heartbeats just try again.
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or RpcException)
        {
            // Shutting down.
        }
    }

    /// <summary>Whether an item id is new (a coordinator re-sends unanswered items after a reconnection).</summary>
    private bool FirstTime(string itemId)
    {
        lock (_gate)
        {
            if (!_seen.Add(itemId))
            {
                return false;
            }

            _seenOrder.Enqueue(itemId);
            if (_seenOrder.Count > 10_000)
            {
                _seen.Remove(_seenOrder.Dequeue());
            }

            return true;
        }
    }

    private sealed record WorkItem(string Id, string JobId, JobAnnouncement? Job, SiteTask? Task);

    /// <summary>One job's work in arrival order, and the signal that the job has ended.</summary>
    private sealed class JobQueue(string jobId, CancellationTokenSource ended)
    {
        public string JobId { get; } = jobId;

        public Channel<WorkItem> Items { get; } = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions { SingleReader = true });

        public CancellationTokenSource Ended { get; } = ended;

        public Task? Worker { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "site {Site}: job {Job} ended at the coordinator; released")]
    private partial void LogJobEnded(string site, string job);

    [LoggerMessage(Level = LogLevel.Information, Message = "site {Site}: connected to the coordinator")]
    private partial void LogConnected(string site);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: not connected ({Code}): {Reason}; retrying with backoff (next in {Seconds:0.#} s; this is logged again only when the reason changes)")]
    private partial void LogProblem(string site, string code, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "site {Site}: reconnecting on a new connection (renewed certificate)")]
    private partial void LogSwitched(string site);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: reply {Item} refused by the coordinator: {Reason}")]
    private partial void LogReplyRefused(string site, string item, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: could not push reply {Item}: {Reason}; retrying with backoff")]
    private partial void LogReplyRetry(string site, string item, string reason);
}
