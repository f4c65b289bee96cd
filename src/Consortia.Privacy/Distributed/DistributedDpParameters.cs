namespace Consortia.Privacy.Distributed;

/// <summary>The calibrated distributed DP mechanism of one job and round shape; sites and coordinator derive the same values.</summary>
/// <param name="Mechanism">The sites' integer noise: discrete Gaussian or Skellam.</param>
/// <param name="PaddedLength">D: the rotated length (the update's length rounded up to a power of two).</param>
/// <param name="Resolution">R = C/γ_g: the clip bound C maps to norm R in the integer domain (γ_g = C/R per round).</param>
/// <param name="L2Sensitivity">Δ₂: the bound conditional rounding enforces on a site's integer vector.</param>
/// <param name="L1Sensitivity">Δ₁ = Δ₂·min(√D, Δ₂).</param>
/// <param name="NoiseMultiplier">z: the Gaussian-equivalent total multiplier (given, or calibrated so that the Skellam ε meets the target).</param>
/// <param name="UpdateNoiseMultiplier">z_Δ: the update's share of z (z itself without adaptive clipping).</param>
/// <param name="BitNoise">σ_b on the count of unclipped updates (adaptive clipping), else <see langword="null"/>.</param>
/// <param name="SiteVariance">Each site's noise variance per update coordinate (σ_l² of its discrete Gaussian, μ_l of its Skellam); t sites together reach (z_Δ·Δ₂)².</param>
/// <param name="BitSiteVariance">Each site's noise variance on the bit coordinate (adaptive clipping), else <see langword="null"/>.</param>
/// <param name="MinimumContributors">t: the fewest sites whose sum the coordinator unmasks; the noise is sized for them.</param>
/// <param name="Participants">m: the sites in the round (the ring's headroom is sized for them).</param>
/// <param name="Epsilon">The job's client-level ε by the mechanism's accountant, at <see cref="Delta"/>, when only t sites contribute.</param>
/// <param name="Delta">δ.</param>
/// <param name="WrapProbabilityBound">An upper bound on the probability that any coordinate of the sum wraps around the ring in a round.</param>
public sealed record DistributedDpParameters(
    DistributedMechanism Mechanism,
    int PaddedLength,
    int Resolution,
    double L2Sensitivity,
    double L1Sensitivity,
    double NoiseMultiplier,
    double UpdateNoiseMultiplier,
    double? BitNoise,
    double SiteVariance,
    double? BitSiteVariance,
    int MinimumContributors,
    int Participants,
    double Epsilon,
    double Delta,
    double WrapProbabilityBound)
{
    /// <summary>The ring the sums live in: Z_{2^32}, the secure aggregation ring.</summary>
    public const int RingBits = 32;

    /// <summary>The length of a site's integer vector: D, plus one for the adaptive-clipping bit.</summary>
    public int EncodedLength => PaddedLength + (BitSiteVariance is null ? 0 : 1);
}
