using Consortia.Learning;

namespace Consortia.Federation.Sites;

/// <summary>What a site returns after local training.</summary>
/// <param name="Site">The site.</param>
/// <param name="WeightedDelta">(local − global) already multiplied by <paramref name="Weight"/>, so that the
/// coordinator only ever needs the sum of updates (secure aggregation gives it nothing else).</param>
/// <param name="Weight">The aggregation weight (the number of local training examples).</param>
/// <param name="TrainLoss">The mean local training loss over the round's steps.</param>
/// <param name="Steps">Local optimizer steps taken.</param>
/// <param name="ControlVariateDelta">SCAFFOLD: cᵢ⁺ − cᵢ (unweighted), or <see langword="null"/>.</param>
public sealed record SiteUpdate(SiteId Site, ParameterVector WeightedDelta, double Weight, double TrainLoss, int Steps, ParameterVector? ControlVariateDelta = null)
{
    /// <summary>Client-level DP with adaptive clipping: b − ½, where b = 1 when the update was not clipped; else <see langword="null"/>.</summary>
    public double? UnclippedBit { get; init; }
}
