using Consortia.Learning;

namespace Consortia.Federation.Strategies;

/// <summary>Everything a strategy may look at in a round.</summary>
/// <param name="Round">The round number.</param>
/// <param name="Model">The current global model.</param>
/// <param name="State">The strategy's own state.</param>
/// <param name="Roster">The available sites in canonical order.</param>
/// <param name="Random">A random source derived from the job seed and the round.</param>
public sealed record RoundInput(RoundNumber Round, GlobalModel Model, StrategyState State, IReadOnlyList<SiteId> Roster, RandomSource Random)
{
    /// <summary>The sites' reported capacities (speed, data size) when the transport knows them; empty otherwise.</summary>
    public IReadOnlyDictionary<SiteId, Transport.SiteCapacity> Capacities { get; init; } = new Dictionary<SiteId, Transport.SiteCapacity>();
}
