using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Federation.Transport;
using Consortia.Network.Node;
using Consortia.Network.Protos;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Transport;

/// <summary>
/// The coordinator's connection to its sites over gRPC, shared by every job it runs. Nodes dial in and hold
/// one work stream open (<see cref="Coordinator.SiteGatewayService"/>) that carries the work of all jobs;
/// tasks wait in the site's queue until its stream takes them, and replies come back on separate calls,
/// matched to their task by an item id that only that site's certificate may answer, for the job the task
/// was part of. Each running job is a <see cref="JobSession"/> (an <see cref="ISiteTransport"/> of its own,
/// with its own roster); the transport itself is the session of an anonymous job over the constructor's
/// roster, for hosts and tests that run a single engine.
/// </summary>
/// <remarks>
/// A node that loses its connection and comes back gets the list of running jobs, the announcement of each of
/// its jobs and every task still unanswered again; a reply that arrives after the round's deadline, twice,
/// for another job than its item's, or for a job the site is not part of, is refused and logged.
/// </remarks>
internal sealed class GrpcSiteTransport : ISiteTransport
{
    private readonly ConcurrentDictionary<SiteId, SiteLink> _links = new();
    private readonly ConcurrentDictionary<string, PendingItem> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JobSession> _jobs = new(StringComparer.Ordinal);
    private readonly Lock _jobsGate = new();
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly TimeSpan? _defaultDeadline;
    private readonly NetworkMetrics? _metrics;
    private long _nextItem;

    /// <summary>Creates a transport.</summary>
    /// <param name="roster">The sites that may take part in the anonymous job, in canonical order.</param>
    /// <param name="time">Deadlines are measured on this clock.</param>
    /// <param name="log">Where refusals of hostile or late messages are logged.</param>
    /// <param name="defaultDeadline">The deadline of dispatches that give none (a deployed round must not wait forever).</param>
    /// <param name="metrics">Byte and latency counters, or <see langword="null"/>.</param>
    public GrpcSiteTransport(IReadOnlyList<SiteId> roster, TimeProvider time, ILogger log, TimeSpan? defaultDeadline = null, NetworkMetrics? metrics = null)
    {
        _time = time;
        _log = log;
        _defaultDeadline = defaultDeadline;
        _metrics = metrics;
        Claims = new Coordinator.NodeClaims(time);
        _jobs[string.Empty] = new JobSession(this, string.Empty, string.Empty, roster); // lives as long as the transport
    }

    /// <inheritdoc />
    public IReadOnlyList<SiteId> Roster => Anonymous.Roster;

    /// <summary>The sites with an open work stream now.</summary>
    public IReadOnlyList<SiteId> Connected => [.. _links.Where(l => l.Value.IsOpen).Select(l => l.Key).OrderBy(s => s.Value, StringComparer.Ordinal)];

    /// <summary>Which node process holds each site's work stream (a second node with the same identity is refused).</summary>
    internal Coordinator.NodeClaims Claims { get; }

    /// <summary>The ids of the jobs begun and not yet ended, in order.</summary>
    public IReadOnlyList<string> ActiveJobs => [.. _jobs.Keys.Where(k => k.Length > 0).Order(StringComparer.Ordinal)];

    /// <summary>
    /// Begins a job: its roster's nodes receive its announcement before any of its tasks. Dispose the session
    /// when the job ends (its late replies are refused from then on, and the nodes release the job).
    /// </summary>
    /// <param name="jobId">The job's id (unique among running jobs).</param>
    /// <param name="yaml">The job file as submitted.</param>
    /// <param name="roster">The sites asked to take part, in canonical order.</param>
    /// <exception cref="InvalidOperationException">A job with this id is running already.</exception>
    public JobSession BeginJob(string jobId, string yaml, IReadOnlyList<SiteId> roster)
    {
        ArgumentException.ThrowIfNullOrEmpty(jobId);
        JobSession session = new(this, jobId, yaml, roster);
        lock (_jobsGate)
        {
            if (!_jobs.TryAdd(jobId, session))
            {
                throw new InvalidOperationException($"Job '{jobId}' is running already.");
            }

            foreach (SiteId site in roster)
            {
                if (_links.TryGetValue(site, out SiteLink? link))
                {
                    link.TrySend(Announcement(jobId, yaml));
                }
            }
        }

        return session;
    }

    /// <summary>
    /// Begins a session that carries tasks without a job announcement (a fairness audit of a job that has ended: its
    /// nodes answer from their ledgers and data, they prepare nothing). Dispose it when done; its late replies are
    /// refused from then on.
    /// </summary>
    /// <param name="sessionId">The session's id (unique among running jobs and sessions).</param>
    /// <param name="roster">The sites it may send tasks to, in canonical order.</param>
    /// <exception cref="InvalidOperationException">A job or session with this id is running already.</exception>
    public JobSession BeginUnannounced(string sessionId, IReadOnlyList<SiteId> roster)
    {
        ArgumentException.ThrowIfNullOrEmpty(sessionId);
        JobSession session = new(this, sessionId, string.Empty, roster);
        lock (_jobsGate)
        {
            if (!_jobs.TryAdd(sessionId, session))
            {
                throw new InvalidOperationException($"Job '{sessionId}' is running already.");
            }
        }

        return session;
    }

    /// <inheritdoc />
    public IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, CancellationToken cancellationToken) =>
        Anonymous.DispatchAsync(tasks, deadline, cancellationToken);

    /// <summary>The session of the anonymous job (id ""), which is never ended.</summary>
    private JobSession Anonymous => _jobs[string.Empty];

    /// <summary>Ends a job: cancels its open items and tells every connected node which jobs remain.</summary>
    private void EndJob(JobSession session)
    {
        lock (_jobsGate)
        {
            if (!_jobs.TryRemove(new KeyValuePair<string, JobSession>(session.JobId, session)))
            {
                return;
            }

            foreach (PendingItem item in _pending.Values.Where(p => ReferenceEquals(p.Job, session)))
            {
                if (_pending.TryRemove(item.Id, out _))
                {
                    item.Reply.TrySetCanceled();
                    item.Ready.TrySetCanceled();
                }
            }

            WorkFrame active = ActiveJobsFrame();
            foreach (SiteLink link in _links.Values)
            {
                link.TrySend(active);
            }
        }
    }

    /// <summary>Asks the roster whether each site's local data can run the job (see <see cref="JobSession.PrepareAsync"/>).</summary>
    private async Task<IReadOnlyDictionary<SiteId, JobReadiness>> PrepareAsync(JobSession job, TimeSpan deadline, CancellationToken cancellationToken)
    {
        Dictionary<SiteId, JobReadiness> ready = [];
        List<PendingItem> items = [.. job.Roster.Select(site => Register(job, site, new RoundNumber(0), NextId(site), frames: null))];
        using CancellationTokenSource timeout = new(deadline, _time);
        using CancellationTokenSource linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        foreach (PendingItem item in items)
        {
            _links.GetOrAdd(item.Site, s => new SiteLink(s)).TrySend(Announcement(job.JobId, job.Yaml, item.Id));
        }

        foreach (PendingItem item in items)
        {
            try
            {
                JobReadyProto answer = await item.Ready.Task.WaitAsync(linked.Token).ConfigureAwait(false);
                ready[item.Site] = new JobReadiness(answer.Accepted, answer.FeatureCount, answer.Code, answer.Message);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The site did not answer in time: it is simply not ready.
            }
            finally
            {
                _pending.TryRemove(item.Id, out _);
            }
        }

        return ready;
    }

    private async IAsyncEnumerable<SiteReply> DispatchAsync(JobSession job, IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (tasks.Count == 0)
        {
            yield break;
        }

        Channel<SiteReply> replies = Channel.CreateUnbounded<SiteReply>();
        List<PendingItem> items = [];
        int expected = 0;
        IReadOnlyList<SiteId> roster = job.Roster;
        foreach (SiteTask task in tasks)
        {
            if (!roster.Contains(task.Site))
            {
                replies.Writer.TryWrite(new Failed(task.Site, task.Round, "unknown-site", $"No site named '{task.Site}' is in the job's roster."));
                expected++;
                continue;
            }

            string id = NextId(task.Site);
            WireItem<TaskHeader> wire = WireCodec.Encode(task, id, job.JobId);
            WorkFrame[] frames = [new WorkFrame { Task = wire.Header }, .. VectorPayload.Chunks(id, wire.Payload).Select(c => new WorkFrame { Chunk = c })];
            PendingItem item = Register(job, task.Site, task.Round, id, frames);
            items.Add(item);
            expected++;
            _ = ForwardAsync(item, replies.Writer);
            _links.GetOrAdd(task.Site, s => new SiteLink(s)).TrySend(item);
        }

        TimeSpan? limit = deadline ?? _defaultDeadline;
        using CancellationTokenSource timeout = limit is { } l ? new CancellationTokenSource(l, _time) : new CancellationTokenSource();
        using CancellationTokenRegistration expire = timeout.Token.Register(() =>
        {
            foreach (PendingItem item in items)
            {
                if (_pending.TryRemove(item.Id, out _))
                {
                    item.Reply.TrySetResult(new Missed(item.Site, item.Round));
                }
            }
        });
        try
        {
            for (int received = 0; received < expected; received++)
            {
                yield return await replies.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (PendingItem item in items)
            {
                _pending.TryRemove(item.Id, out _);
                item.Reply.TrySetCanceled(CancellationToken.None);
            }
        }
    }

    /// <summary>Every site that has opened a work stream since the coordinator started, with its connection state, in site order.</summary>
    internal IReadOnlyList<SiteConnection> Sites() =>
        [.. _links.Values.OrderBy(l => l.Site.Value, StringComparer.Ordinal).Select(l => new SiteConnection(
            l.Site, l.IsOpen, l.LastSeen, l.ConnectedSince, l.NodeVersion, l.Capacity,
            [.. _jobs.Values.Where(j => j.JobId.Length > 0 && j.Roster.Contains(l.Site)).Select(j => j.JobId).Order(StringComparer.Ordinal)],
            [.. _jobs.Values.Where(j => j.JobId.Length > 0 && j.Consortium.Length > 0 && j.Roster.Contains(l.Site)).Select(j => j.Consortium).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)]))];

    /// <summary>Opens a work stream for <paramref name="site"/>, replacing any older one; called by the gateway.</summary>
    /// <param name="site">The site (from its certificate).</param>
    /// <param name="nodeVersion">The node software's version, as the node reports it.</param>
    /// <param name="capacity">How many tasks the node runs at once, as it reports it (0: not reported).</param>
    /// <param name="examplesPerSecond">The node's measured training speed (0: not reported), for capacity-sized work.</param>
    internal ChannelReader<object> Open(SiteId site, string nodeVersion = "", int capacity = 0, double examplesPerSecond = 0)
    {
        SiteLink link = _links.GetOrAdd(site, s => new SiteLink(s));
        ChannelReader<object> reader;
        lock (_jobsGate)
        {
            reader = link.Open();
            DateTimeOffset now = _time.GetUtcNow();
            link.LastSeen = now;
            link.ConnectedSince = now;
            link.NodeVersion = nodeVersion;
            link.Capacity = capacity;
            link.ExamplesPerSecond = double.IsFinite(examplesPerSecond) && examplesPerSecond > 0 ? examplesPerSecond : 0; // hostile values count as not reported
            PendingItem[] owed = [.. _pending.Values.Where(p => p.Site == site).OrderBy(p => p.Frames is null ? 0 : 1).ThenBy(p => p.Sequence)];

            // First the running jobs (the node releases any other it still holds), then the announcement of each
            // of the site's jobs: with the item id of an open preparation, so that the node answers it.
            link.TrySend(ActiveJobsFrame());
            foreach (JobSession job in _jobs.Values.Where(j => j.JobId.Length > 0).OrderBy(j => j.JobId, StringComparer.Ordinal))
            {
                PendingItem? preparation = owed.FirstOrDefault(p => p.Frames is null && ReferenceEquals(p.Job, job));
                if (preparation is not null || (job.Roster.Contains(site) && job.Yaml.Length > 0)) // unannounced sessions (audits) prepare nothing
                {
                    link.TrySend(Announcement(job.JobId, job.Yaml, preparation?.Id));
                }
            }

            // Everything this site still owes an answer to goes again: the old stream may have broken mid-item.
            foreach (PendingItem item in owed.Where(p => p.Frames is not null))
            {
                link.TrySend(item);
            }
        }

        _metrics?.SetConnected(_links.Values.Count(l => l.IsOpen));
        return reader;
    }

    /// <summary>The reported training speeds of <paramref name="sites"/>.</summary>
    private Dictionary<SiteId, SiteCapacity> CapacitiesOf(IReadOnlyList<SiteId> sites) =>
        sites.Select(s => _links.TryGetValue(s, out SiteLink? link) ? link : null)
            .Where(l => l is { ExamplesPerSecond: > 0 })
            .ToDictionary(l => l!.Site, l => new SiteCapacity(l!.ExamplesPerSecond));

    /// <summary>Closes <paramref name="site"/>'s work stream if <paramref name="reader"/> is still its current one.</summary>
    internal void Close(SiteId site, ChannelReader<object> reader)
    {
        if (_links.TryGetValue(site, out SiteLink? link))
        {
            if (link.Close(reader))
            {
                link.LastSeen = _time.GetUtcNow();
            }

            // Counted again on every close, not only on connect and revoke: a node that stops is no longer connected.
            _metrics?.SetConnected(_links.Values.Count(l => l.IsOpen));
        }
    }

    /// <summary>Ends <paramref name="site"/>'s open work stream (its certificate was revoked).</summary>
    /// <returns>Whether a stream was open.</returns>
    internal bool Disconnect(SiteId site)
    {
        if (_links.TryGetValue(site, out SiteLink? link) && link.IsOpen)
        {
            link.CloseCurrent();
            _metrics?.SetConnected(_links.Values.Count(l => l.IsOpen));
            return true;
        }

        return false;
    }

    /// <summary>The ids of the items <paramref name="site"/> still owes an answer to (for tests and diagnostics).</summary>
    internal IReadOnlyList<string> PendingFor(SiteId site) => [.. _pending.Values.Where(p => p.Site == site).OrderBy(p => p.Sequence).Select(p => p.Id)];

    /// <summary>Records that the site is alive.</summary>
    internal void Touch(SiteId site) => _links.GetOrAdd(site, s => new SiteLink(s)).LastSeen = _time.GetUtcNow();

    /// <summary>Records the training speed a node reported with a reply; 0 (not measured yet) and hostile values (non-finite, negative) change nothing.</summary>
    /// <param name="site">The site (from its certificate).</param>
    /// <param name="examplesPerSecond">The speed the node reported.</param>
    internal void ReportSpeed(SiteId site, double examplesPerSecond)
    {
        if (double.IsFinite(examplesPerSecond) && examplesPerSecond > 0 && _links.TryGetValue(site, out SiteLink? link))
        {
            link.ExamplesPerSecond = examplesPerSecond;
        }
    }

    /// <summary>
    /// Completes the item a reply answers, after checking that the reply's job is running, that
    /// <paramref name="site"/> is part of it, and that the item is that site's, of that job.
    /// </summary>
    /// <returns><see langword="null"/> when accepted; otherwise why not.</returns>
    internal string? Complete(SiteId site, ReplyHeader header, PayloadAssembler payload)
    {
        if (!_jobs.TryGetValue(header.JobId, out JobSession? job))
        {
            return $"item '{header.ItemId}' names job '{header.JobId}', which is not running";
        }

        if (!job.Roster.Contains(site))
        {
            return $"site '{site}' is not part of job '{header.JobId}'";
        }

        if (!_pending.TryGetValue(header.ItemId, out PendingItem? item))
        {
            return $"no open item '{header.ItemId}' (unknown, already answered, or past its deadline)";
        }

        if (item.Site != site)
        {
            return $"item '{header.ItemId}' belongs to another site";
        }

        if (!ReferenceEquals(item.Job, job))
        {
            return $"item '{header.ItemId}' is of job '{item.Job.JobId}', the reply says job '{header.JobId}'";
        }

        if (header.ReplyCase == ReplyHeader.ReplyOneofCase.JobReady)
        {
            if (item.Frames is not null || !string.Equals(header.JobReady.JobId, job.JobId, StringComparison.Ordinal))
            {
                return $"item '{header.ItemId}' is not the announcement of job '{header.JobReady.JobId}'";
            }

            if (_pending.TryRemove(item.Id, out _))
            {
                item.Ready.TrySetResult(header.JobReady);
            }

            return null;
        }

        if (item.Frames is null)
        {
            return $"item '{header.ItemId}' is a job announcement; the reply is not a job-ready answer";
        }

        if (header.Round != item.Round.Value)
        {
            return $"item '{header.ItemId}' is for round {item.Round.Value}, the reply says round {header.Round}";
        }

        SiteReply reply = WireCodec.Decode(header, payload, site);
        if (_pending.TryRemove(item.Id, out _))
        {
            _metrics?.ObserveReply(_time.GetElapsedTime(item.Started));
            item.Reply.TrySetResult(reply);
        }

        return null;
    }

    private static async Task ForwardAsync(PendingItem item, ChannelWriter<SiteReply> replies)
    {
        SiteReply reply;
        try
        {
            reply = await item.Reply.Task.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            reply = new Missed(item.Site, item.Round);
        }

        replies.TryWrite(reply);
    }

    private PendingItem Register(JobSession job, SiteId site, RoundNumber round, string id, WorkFrame[]? frames)
    {
        PendingItem item = new(id, job, site, round, frames, Interlocked.Increment(ref _nextItem), _time.GetTimestamp());
        _pending[id] = item;
        return item;
    }

    private string NextId(SiteId site) => $"{site.Value}-{Interlocked.Increment(ref _nextItem)}-{Guid.NewGuid():N}";

    private static WorkFrame Announcement(string jobId, string yaml, string? itemId = null) =>
        new() { Job = new JobAnnouncement { JobId = jobId, JobYaml = yaml, ItemId = itemId ?? string.Empty } };

    private WorkFrame ActiveJobsFrame() => new() { ActiveJobs = new ActiveJobs { JobIds = { _jobs.Keys.Order(StringComparer.Ordinal) } } };

    /// <summary>One unanswered task (or job announcement, when <see cref="Frames"/> is null) of <see cref="Job"/>.</summary>
    internal sealed record PendingItem(string Id, JobSession Job, SiteId Site, RoundNumber Round, WorkFrame[]? Frames, long Sequence, long Started)
    {
        public TaskCompletionSource<SiteReply> Reply { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<JobReadyProto> Ready { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A site's current work stream (at most one at a time).</summary>
    private sealed class SiteLink(SiteId site)
    {
        private readonly Lock _gate = new();
        private Channel<object>? _current;

        public SiteId Site { get; } = site;

        public DateTimeOffset LastSeen { get; set; }

        public DateTimeOffset? ConnectedSince { get; set; }

        public string NodeVersion { get; set; } = "";

        public int Capacity { get; set; }

        public double ExamplesPerSecond { get; set; }

        public bool IsOpen
        {
            get
            {
                lock (_gate)
                {
                    return _current is not null;
                }
            }
        }

        public ChannelReader<object> Open()
        {
            lock (_gate)
            {
                _current?.Writer.TryComplete();
                _current = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });
                return _current.Reader;
            }
        }

        /// <returns>Whether <paramref name="reader"/> was the current stream (and is now closed).</returns>
        public bool Close(ChannelReader<object> reader)
        {
            lock (_gate)
            {
                if (_current is not null && ReferenceEquals(_current.Reader, reader))
                {
                    _current.Writer.TryComplete();
                    _current = null;
                    return true;
                }

                return false;
            }
        }

        public void CloseCurrent()
        {
            lock (_gate)
            {
                _current?.Writer.TryComplete();
                _current = null;
            }
        }

        /// <summary>Queues a frame or item on the open stream; without one, the item waits in the pending table for the next.</summary>
        public void TrySend(object item)
        {
            lock (_gate)
            {
                _current?.Writer.TryWrite(item);
            }
        }
    }

    /// <summary>
    /// One running job's view of the transport: its own roster, preparation and rounds. The job's runner
    /// dispatches through it; disposing it ends the job on the wire.
    /// </summary>
    internal sealed class JobSession : ISiteTransport, ISiteCapacities, IDisposable
    {
        private readonly GrpcSiteTransport _transport;
        private IReadOnlyList<SiteId> _roster;

        internal JobSession(GrpcSiteTransport transport, string jobId, string yaml, IReadOnlyList<SiteId> roster)
        {
            _transport = transport;
            JobId = jobId;
            Yaml = yaml;
            _roster = roster;
        }

        /// <summary>The job's id ("" for the transport's anonymous job).</summary>
        public string JobId { get; }

        /// <summary>The job file as submitted.</summary>
        public string Yaml { get; }

        /// <summary>The consortium the job runs in (shown in the site list); empty when not set.</summary>
        public string Consortium { get; set; } = "";

        /// <inheritdoc />
        public IReadOnlyList<SiteId> Roster => Volatile.Read(ref _roster);

        /// <inheritdoc />
        /// <remarks>What each roster site's node reported when it last connected (sites that reported no speed are absent).</remarks>
        public IReadOnlyDictionary<SiteId, SiteCapacity> Capacities => _transport.CapacitiesOf(Roster);

        /// <summary>
        /// Asks every roster site whether its local data can run the job; completes when each has answered or
        /// the deadline passes. The answers carry the sites' feature counts (no data values).
        /// </summary>
        public Task<IReadOnlyDictionary<SiteId, JobReadiness>> PrepareAsync(TimeSpan deadline, CancellationToken cancellationToken) =>
            _transport.PrepareAsync(this, deadline, cancellationToken);

        /// <summary>Narrows the roster to <paramref name="sites"/> (those that accepted the job), keeping its order.</summary>
        public void Restrict(IEnumerable<SiteId> sites)
        {
            HashSet<SiteId> keep = [.. sites];
            Volatile.Write(ref _roster, [.. _roster.Where(keep.Contains)]);
        }

        /// <inheritdoc />
        public IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, CancellationToken cancellationToken) =>
            _transport.DispatchAsync(this, tasks, deadline, cancellationToken);

        /// <summary>Ends the job on the wire.</summary>
        public void Dispose() => _transport.EndJob(this);
    }
}
