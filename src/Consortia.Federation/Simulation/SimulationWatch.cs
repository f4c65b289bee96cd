using Consortia.Federation.Jobs.Store;

namespace Consortia.Federation.Simulation;

/// <summary>
/// How a simulation runs when someone watches it (<c>simulate --serve</c>): in a job store the caller owns (a dashboard
/// reads it while the job runs and after it ends), and optionally paced to a minimum wall time per round.
/// </summary>
/// <param name="Store">
/// The job store to run in; the simulation neither opens nor disposes it. With a state directory it must be the SQLite
/// store of <c>DIR/jobs.db</c> (so that the run can be resumed); without one, any store (an in-memory one).
/// </param>
/// <param name="Pace">The minimum wall time of each round (zero: no pacing). Pacing waits before a round's work; it changes no result.</param>
/// <param name="WallClock">The real clock the pace is measured on (the simulation's own clock is virtual and does not move while it waits).</param>
public sealed record SimulationWatch(IJobStore Store, TimeSpan Pace, TimeProvider WallClock);
