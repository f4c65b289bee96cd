namespace Consortia.Federation.Simulation;

/// <summary>
/// Simulation's clock: it starts at a fixed instant and moves only when the runner enters a round, to
/// <see cref="Start"/> + round × <see cref="RoundStep"/>. Every timestamp a simulation writes (ledger entries, budget
/// charges, job store times, round durations) is therefore a function of the job alone, so a job and seed give the
/// same ledgers (signatures aside) as well as the same model, and a resumed run continues the same timeline.
/// </summary>
/// <remarks>
/// Without site profiles, time stands still within a round: a round's reported duration is zero, and a timer fires only
/// when a later round moves the clock past its due time (a simulated round never waits for a timer). With site profiles
/// (<c>simulation.profiles</c>) the <see cref="Profiles.ProfiledSiteTransport"/> moves it with <see cref="AdvanceTo"/> as
/// each site's simulated work finishes.
/// Thread-safe.
/// </remarks>
public sealed class VirtualClock : TimeProvider
{
    /// <summary>The instant every simulation starts at: 2000-01-01T00:00:00Z.</summary>
    public static readonly DateTimeOffset DefaultStart = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Lock _gate = new();
    private readonly List<VirtualTimer> _timers = [];
    private long _elapsedTicks;

    /// <summary>Creates a clock at <paramref name="start"/>.</summary>
    /// <param name="start">The instant of round 0.</param>
    /// <param name="roundStep">How far each round moves the clock at least; zero when only simulated work moves it (<see cref="AdvanceTo"/>, site profiles).</param>
    public VirtualClock(DateTimeOffset start, TimeSpan roundStep)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(roundStep, TimeSpan.Zero);
        Start = start;
        RoundStep = roundStep;
    }

    /// <summary>Creates the simulation clock: <see cref="DefaultStart"/>, one minute per round.</summary>
    public VirtualClock()
        : this(DefaultStart, TimeSpan.FromMinutes(1))
    {
    }

    /// <summary>The instant of round 0.</summary>
    public DateTimeOffset Start { get; }

    /// <summary>How far each round moves the clock.</summary>
    public TimeSpan RoundStep { get; }

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => Start + TimeSpan.FromTicks(Interlocked.Read(ref _elapsedTicks));

    /// <inheritdoc />
    public override long GetTimestamp() => Interlocked.Read(ref _elapsedTicks);

    /// <summary>Moves the clock to <paramref name="round"/>'s instant (never backwards) and fires the timers now due.</summary>
    /// <param name="round">The round about to run.</param>
    public void EnterRound(RoundNumber round) => MoveTo(RoundStep.Ticks * round.Value);

    /// <summary>
    /// Moves the clock to <paramref name="instant"/> (never backwards) and fires the timers now due: simulated work
    /// (site profiles: compute, latency, transfer) takes virtual time this way, so hours of consortium time pass
    /// without anyone sleeping.
    /// </summary>
    /// <param name="instant">The instant simulated work has reached.</param>
    public void AdvanceTo(DateTimeOffset instant) => MoveTo((instant - Start).Ticks);

    private void MoveTo(long target)
    {
        VirtualTimer[] due;
        lock (_gate)
        {
            if (target <= _elapsedTicks)
            {
                return;
            }

            Interlocked.Exchange(ref _elapsedTicks, target);
            due = [.. _timers.Where(t => t.DueAt is { } at && at <= target)];
        }

        foreach (VirtualTimer timer in due)
        {
            timer.Fire(target);
        }
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        VirtualTimer timer = new(this, callback, state);
        lock (_gate)
        {
            _timers.Add(timer);
        }

        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class VirtualTimer(VirtualClock clock, TimerCallback callback, object? state) : ITimer
    {
        private long _period;

        public long? DueAt { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._gate)
            {
                DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : clock._elapsedTicks + Math.Max(0, dueTime.Ticks);
                _period = period == Timeout.InfiniteTimeSpan ? 0 : period.Ticks;
            }

            return true;
        }

        public void Fire(long now)
        {
            lock (clock._gate)
            {
                if (DueAt is not { } at || at > now)
                {
                    return;
                }

                // A periodic timer fires once per move of the clock, however many periods the move spans.
                DueAt = _period > 0 ? now + _period : null;
            }

            callback(state);
        }

        public void Dispose()
        {
            lock (clock._gate)
            {
                DueAt = null;
                clock._timers.Remove(this);
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
