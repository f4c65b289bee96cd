namespace Consortia.Federation.Sites.Pipeline;

/// <summary>Where a stage sits in a site's update pipeline; stages run in this order, one of each kind at most.</summary>
/// <remarks>
/// The order is what makes the protections sound: clipping bounds the raw update before noise is calibrated to
/// it, weighting comes after both so that the noise is not scaled with the weight, quantisation needs the final
/// values, and masking needs the quantised ring elements.
/// </remarks>
internal enum UpdateStageKind
{
    /// <summary>Client-level DP: bound the L2 norm of the whole, unweighted update.</summary>
    Clip = 0,

    /// <summary>Distributed DP: rotate, round and add the site's share of integer noise (<see cref="NoiseStage"/>).</summary>
    Noise = 1,

    /// <summary>Multiply the update by its aggregation weight, so the coordinator needs only sums.</summary>
    Weight = 2,

    /// <summary>Secure aggregation: encode the update as fixed-point ring elements.</summary>
    Quantise = 3,

    /// <summary>Secure aggregation: hand the ring elements to the masking protocol; from here on they leave only masked.</summary>
    Mask = 4,
}
