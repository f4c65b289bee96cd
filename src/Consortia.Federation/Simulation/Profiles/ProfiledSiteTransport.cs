using System.Runtime.CompilerServices;
using Consortia.Federation.Sites;
using Consortia.Federation.Transport;
using Consortia.Learning;

namespace Consortia.Federation.Simulation.Profiles;

/// <summary>
/// Puts simulated sites on a simulated timeline: each training task takes the time its site's <see cref="SiteProfile"/>
/// says (latency, model and update transfer, examples ÷ speed), sites drop out (seeded) or are offline on schedule, and
/// replies arrive in order of their simulated finish, moving the <see cref="VirtualClock"/> as they do. A deadline cuts
/// off, as <see cref="Missed"/>, every site whose simulated finish comes after it.
/// </summary>
/// <remarks>
/// <para>
/// The sites really train (the same code as deployed); only time is simulated, so hours of consortium time pass in the
/// seconds the arithmetic takes, and nothing sleeps. Replies are computed first and released in simulated order, so the
/// result does not depend on thread scheduling.
/// </para>
/// <para>
/// A dropped-out site is noticed at the deadline, or, without one, when the last site still working finishes (the
/// coordinator sees its heartbeat stop). A site cut off by the deadline did its training (and it is recorded in its
/// ledger) but the coordinator never sees the update. Evaluation and secure-aggregation messages take no simulated time
/// (measurements and a few small messages); the secure-aggregation messages of a site that missed the round's training
/// are answered <see cref="Missed"/>, so the protocol treats it as dropped.
/// </para>
/// </remarks>
public sealed class ProfiledSiteTransport : ISiteTransport, ISiteCapacities
{
    private readonly ISiteTransport _inner;
    private readonly Dictionary<SiteId, (SiteProfile Profile, int Index)> _profiles;
    private readonly VirtualClock _clock;
    private readonly RandomSource _random;
    private readonly HashSet<(SiteId, int)> _missedTraining = [];
    private readonly Lock _gate = new();
    private readonly List<(DateTimeOffset At, int Order, SiteReply Reply)> _inFlight = []; // asynchronous mode: work not yet collected

    /// <summary>Creates the transport.</summary>
    /// <param name="inner">The in-process transport that runs the sites.</param>
    /// <param name="profiles">Each site's profile, in the roster's order.</param>
    /// <param name="clock">The simulation's clock, moved as simulated work finishes.</param>
    /// <param name="random">The source of dropouts (derived from the job seed).</param>
    /// <param name="trainingExamples">Each site's number of training examples (reported with its capacity), or <see langword="null"/>.</param>
    public ProfiledSiteTransport(ISiteTransport inner, IReadOnlyList<SiteProfile> profiles, VirtualClock clock, RandomSource random, IReadOnlyList<int>? trainingExamples = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(clock);
        ArgumentNullException.ThrowIfNull(random);
        if (profiles.Count != inner.Roster.Count || (trainingExamples is not null && trainingExamples.Count != inner.Roster.Count))
        {
            throw new ArgumentException($"Expected one profile per site ({inner.Roster.Count}), got {profiles.Count}.", nameof(profiles));
        }

        _inner = inner;
        _clock = clock;
        _random = random;
        _profiles = inner.Roster.Select((site, i) => (site, i)).ToDictionary(p => p.site, p => (profiles[p.i], p.i));
        Capacities = inner.Roster.ToDictionary(site => site, site => new SiteCapacity(_profiles[site].Profile.ExamplesPerSecond, trainingExamples?[_profiles[site].Index]));
    }

    /// <inheritdoc />
    public IReadOnlyList<SiteId> Roster => _inner.Roster;

    /// <inheritdoc />
    /// <remarks>In simulation a site reports its profile's speed (what a node measures and reports when deployed).</remarks>
    public IReadOnlyDictionary<SiteId, SiteCapacity> Capacities { get; }

    /// <summary>
    /// Asynchronous aggregation (FedBuff, <c>scheduling.buffer</c>): replies the engine does not collect in a round stay
    /// in flight and arrive in later rounds at their simulated time, and a site still working is not given new work.
    /// </summary>
    /// <value>Default: <see langword="false"/> (each dispatch is a round with a barrier; uncollected replies are dropped).</value>
    public bool Asynchronous { get; init; }

    /// <summary>The profile of <paramref name="site"/>.</summary>
    /// <param name="site">A site of the roster.</param>
    /// <returns>Its profile.</returns>
    public SiteProfile ProfileOf(SiteId site) => _profiles[site].Profile;

    /// <inheritdoc />
    public async IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (!tasks.Any(t => t is TrainTask))
        {
            await foreach (SiteReply reply in PassThroughAsync(tasks, deadline, cancellationToken).ConfigureAwait(false))
            {
                yield return reply;
            }

            yield break;
        }

        if (Asynchronous)
        {
            await foreach (SiteReply reply in DispatchAsynchronouslyAsync(tasks, cancellationToken).ConfigureAwait(false))
            {
                yield return reply;
            }

            yield break;
        }

        DateTimeOffset start = _clock.GetUtcNow();
        List<SiteTask> reachable = [];
        List<SiteTask> dropped = [];
        foreach (SiteTask task in tasks)
        {
            (IsReachable(task, start) ? reachable : dropped).Add(task);
        }

        Dictionary<SiteId, SiteTask> byId = tasks.ToDictionary(t => t.Site);
        List<(TimeSpan At, int Order, SiteReply Reply)> timeline = [];
        await foreach (SiteReply reply in _inner.DispatchAsync(reachable, null, cancellationToken).ConfigureAwait(false))
        {
            timeline.Add((TimeTaken(byId[reply.Site], reply), _profiles[reply.Site].Index, reply));
        }

        TimeSpan lastFinish = timeline.Count == 0 ? TimeSpan.Zero : timeline.Max(e => e.At);
        TimeSpan noticed = deadline ?? lastFinish;
        foreach (SiteTask task in dropped)
        {
            timeline.Add((noticed, _profiles[task.Site].Index, new Missed(task.Site, task.Round)));
        }

        for (int i = 0; i < timeline.Count; i++)
        {
            if (deadline is { } d && timeline[i].At > d)
            {
                timeline[i] = (d, timeline[i].Order, new Missed(timeline[i].Reply.Site, timeline[i].Reply.Round));
            }
        }

        lock (_gate)
        {
            foreach ((_, _, SiteReply reply) in timeline.Where(e => e.Reply is Missed))
            {
                _missedTraining.Add((reply.Site, reply.Round.Value));
            }
        }

        // Released in simulated order; the consumer that stops early (over-selection keeps the first K) leaves the clock at the K-th finish.
        foreach ((TimeSpan at, _, SiteReply reply) in timeline.OrderBy(e => e.At).ThenBy(e => e.Order))
        {
            cancellationToken.ThrowIfCancellationRequested();
            _clock.AdvanceTo(start + at);
            yield return reply;
        }
    }

    /// <summary>
    /// FedBuff's timeline: idle sites start on the current model now; every reply (new or from earlier rounds) arrives at
    /// its simulated finish; the consumer stops after its buffer and the rest stay in flight.
    /// </summary>
    private async IAsyncEnumerable<SiteReply> DispatchAsynchronouslyAsync(IReadOnlyList<SiteTask> tasks, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        DateTimeOffset start = _clock.GetUtcNow();
        HashSet<SiteId> busy;
        lock (_gate)
        {
            busy = [.. _inFlight.Select(e => e.Reply.Site)];
        }

        List<SiteTask> starting = [];
        List<(DateTimeOffset, int, SiteReply)> arriving = [];
        foreach (SiteTask task in tasks.Where(t => !busy.Contains(t.Site)))
        {
            if (IsReachable(task, start))
            {
                starting.Add(task);
            }
            else if (task is TrainTask train)
            {
                // Offline or dropped out: the site is unreachable for as long as the work would have taken.
                long examples = (long)(train.Training.LocalSteps ?? 1) * train.Training.BatchSize;
                arriving.Add((start + ProfileOf(task.Site).TrainingTime(examples, 0), _profiles[task.Site].Index, new Missed(task.Site, task.Round)));
            }
        }

        Dictionary<SiteId, SiteTask> byId = starting.ToDictionary(t => t.Site);
        await foreach (SiteReply reply in _inner.DispatchAsync(starting, null, cancellationToken).ConfigureAwait(false))
        {
            arriving.Add((start + TimeTaken(byId[reply.Site], reply), _profiles[reply.Site].Index, reply));
        }

        lock (_gate)
        {
            _inFlight.AddRange(arriving);
        }

        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            (DateTimeOffset At, int Order, SiteReply Reply) next;
            lock (_gate)
            {
                if (_inFlight.Count == 0)
                {
                    yield break;
                }

                next = _inFlight.OrderBy(e => e.At).ThenBy(e => e.Order).First();
                _inFlight.Remove(next);
            }

            _clock.AdvanceTo(next.At);
            yield return next.Reply;
        }
    }

    private async IAsyncEnumerable<SiteReply> PassThroughAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        List<SiteTask> forwarded = [];
        foreach (SiteTask task in tasks)
        {
            bool missed;
            lock (_gate)
            {
                missed = task is SecAggTask && _missedTraining.Contains((task.Site, task.Round.Value));
            }

            if (missed)
            {
                yield return new Missed(task.Site, task.Round);
            }
            else
            {
                forwarded.Add(task);
            }
        }

        await foreach (SiteReply reply in _inner.DispatchAsync(forwarded, deadline, cancellationToken).ConfigureAwait(false))
        {
            yield return reply;
        }
    }

    /// <summary>Whether the site is online now and does not drop out of this round (seeded by site, round and attempt).</summary>
    private bool IsReachable(SiteTask task, DateTimeOffset now)
    {
        (SiteProfile profile, int index) = _profiles[task.Site];
        if (!profile.IsScheduledOnline(now))
        {
            return false;
        }

        int attempt = task is TrainTask train ? train.Attempt : 0;
        double u = _random.Derive("dropout").Derive((ulong)index).Derive((ulong)task.Round.Value).Derive((ulong)attempt).NextDouble();
        return u >= profile.Dropout;
    }

    /// <summary>The simulated time from dispatch to the reply's arrival.</summary>
    private TimeSpan TimeTaken(SiteTask task, SiteReply reply)
    {
        SiteProfile profile = _profiles[reply.Site].Profile;
        if (task is not TrainTask train)
        {
            return 2 * profile.Latency;
        }

        int steps = reply switch
        {
            TrainingCompleted completed => completed.Update.Steps,
            TrainingPrepared prepared => prepared.Steps,
            _ => 0, // a refusal or failure comes back at once
        };
        long bytes = steps == 0 ? 0 : sizeof(float) * (long)train.GlobalParameters.Length;
        return profile.TrainingTime((long)steps * train.Training.BatchSize, bytes);
    }
}
