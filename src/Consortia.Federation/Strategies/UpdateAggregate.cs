using Consortia.Federation.Sites;
using Consortia.Learning;

namespace Consortia.Federation.Strategies;

/// <summary>What the engine hands a strategy after a round: a closed set of shapes.</summary>
public abstract record UpdateAggregate
{
    /// <summary>The number of sites whose updates are included.</summary>
    public abstract int Count { get; }
}

/// <summary>Only the sum of the sites' weighted updates: all that secure aggregation reveals.</summary>
/// <param name="WeightedSum">Σ wᵢ·Δᵢ over the contributing sites.</param>
/// <param name="TotalWeight">Σ wᵢ.</param>
/// <param name="Contributors">The number of contributing sites.</param>
/// <param name="ControlVariateSum">SCAFFOLD: Σ (cᵢ⁺ − cᵢ) over the contributors, or <see langword="null"/>.</param>
public sealed record SummedUpdates(ParameterVector WeightedSum, double TotalWeight, int Contributors, ParameterVector? ControlVariateSum = null) : UpdateAggregate
{
    /// <inheritdoc />
    public override int Count => Contributors;

    /// <summary>Client-level DP with adaptive clipping: Σ (b − ½) over the contributors, or <see langword="null"/>.</summary>
    public double? UnclippedBitSum { get; init; }
}

/// <summary>Each site's update, for robust strategies in deployments without secure aggregation.</summary>
/// <param name="Updates">The updates in canonical site order.</param>
public sealed record IndividualUpdates(IReadOnlyList<SiteUpdate> Updates) : UpdateAggregate
{
    /// <inheritdoc />
    public override int Count => Updates.Count;
}
