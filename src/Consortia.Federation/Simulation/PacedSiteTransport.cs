using System.Runtime.CompilerServices;
using Consortia.Federation.Sites;
using Consortia.Federation.Transport;

namespace Consortia.Federation.Simulation;

/// <summary>
/// Slows a simulation down for watching (<c>simulate --pace</c>): before the first dispatch of each round it waits the
/// pace on the wall clock, so every round takes at least that long.
/// </summary>
/// <remarks>
/// Only wall time passes: the simulation's virtual clock (deadlines, profiles) does not move while it waits, and the
/// tasks, replies and their order are those of the inner transport, so no result changes. The inner transport's
/// reported capacities pass through (an inner transport without any reports none, as the engine assumes then).
/// </remarks>
internal sealed class PacedSiteTransport(ISiteTransport inner, TimeSpan pace, TimeProvider wallClock) : ISiteTransport, ISiteCapacities
{
    private static readonly Dictionary<SiteId, SiteCapacity> s_none = [];
    private int _lastPacedRound = int.MinValue;

    public IReadOnlyList<SiteId> Roster => inner.Roster;

    public IReadOnlyDictionary<SiteId, SiteCapacity> Capacities => inner is ISiteCapacities capacities ? capacities.Capacities : s_none;

    public async IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (tasks.Count > 0 && tasks[0].Round.Value != Volatile.Read(ref _lastPacedRound))
        {
            Volatile.Write(ref _lastPacedRound, tasks[0].Round.Value);
            await Task.Delay(pace, wallClock, cancellationToken).ConfigureAwait(false);
        }

        await foreach (SiteReply reply in inner.DispatchAsync(tasks, deadline, cancellationToken).ConfigureAwait(false))
        {
            yield return reply;
        }
    }
}
