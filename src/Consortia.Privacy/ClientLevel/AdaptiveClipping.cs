using Consortia.Privacy.Mechanisms;

namespace Consortia.Privacy.ClientLevel;

/// <summary>
/// Adaptive clipping (Andrew, Thakkar, McMahan, Ramaswamy 2021, Algorithm 1 and §3): a private estimate of the
/// fraction of unclipped updates drives a geometric update of the bound towards the target quantile γ.
/// </summary>
/// <remarks>
/// <para>
/// Each round the sites also send b − ½ (b = 1 when ‖Δ‖ ≤ C). The coordinator computes
/// b̃ = (Σ (b − ½) + N(0, σ_b²)) / m + ½, clamped to [0, 1], and sets C ← C·exp(−η_C (b̃ − γ)): too many
/// unclipped updates shrink the bound, too many clipped ones grow it.
/// </para>
/// <para>
/// Accounting as in the paper (§3, "Privacy"): the count query (sensitivity ½, noise σ_b) and the update query
/// (sensitivity C, noise z_Δ·C) together are one Gaussian mechanism of multiplier z when
/// z_Δ = (z⁻² − (2σ_b)⁻²)^−½, so the accountant is charged with the total z per round and the update gets z_Δ.
/// Requires z &lt; 2σ_b.
/// </para>
/// </remarks>
public static class AdaptiveClipping
{
    /// <summary>The paper's default σ_b = m/20.</summary>
    /// <param name="expectedParticipants">m, the number of sites sampled per round.</param>
    /// <returns>σ_b.</returns>
    public static double DefaultBitNoise(double expectedParticipants) => expectedParticipants / 20.0;

    /// <summary>Whether the total noise multiplier <paramref name="noiseMultiplier"/> leaves a noise budget for the update.</summary>
    /// <param name="noiseMultiplier">z, the total.</param>
    /// <param name="bitNoise">σ_b.</param>
    /// <returns><see langword="true"/> when z &lt; 2σ_b.</returns>
    public static bool CanSplit(double noiseMultiplier, double bitNoise) => noiseMultiplier < 2 * bitNoise;

    /// <summary>The update's noise multiplier z_Δ = (z⁻² − (2σ_b)⁻²)^−½, so that both queries together have multiplier z.</summary>
    /// <param name="noiseMultiplier">z, the total (what the accountant is charged with); &gt; 0.</param>
    /// <param name="bitNoise">σ_b, the noise on the count of unclipped updates; &gt; 0.</param>
    /// <returns>z_Δ ≥ z.</returns>
    /// <exception cref="ArgumentOutOfRangeException">z ≥ 2σ_b (no noise budget is left for the update) or an argument is not positive.</exception>
    public static double UpdateNoiseMultiplier(double noiseMultiplier, double bitNoise)
    {
        if (!(noiseMultiplier > 0) || !double.IsFinite(noiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "The noise multiplier must be finite and positive.");
        }

        if (!(bitNoise > 0) || !double.IsFinite(bitNoise))
        {
            throw new ArgumentOutOfRangeException(nameof(bitNoise), bitNoise, "The bit noise must be finite and positive.");
        }

        if (!CanSplit(noiseMultiplier, bitNoise))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier,
                $"The total noise multiplier z = {noiseMultiplier} must be below 2σ_b = {2 * bitNoise}: raise the bit noise or lower z.");
        }

        double inverse = (1.0 / (noiseMultiplier * noiseMultiplier)) - (1.0 / (4.0 * bitNoise * bitNoise));
        return 1.0 / Math.Sqrt(inverse);
    }

    /// <summary>The private estimate b̃ of the fraction of unclipped updates, clamped to [0, 1].</summary>
    /// <param name="centredBitSum">Σ (b − ½) over the contributing sites.</param>
    /// <param name="bitNoise">σ_b; ≥ 0 (0 only in tests).</param>
    /// <param name="denominator">m, the number of sites sampled.</param>
    /// <param name="noise">The noise source.</param>
    /// <returns>b̃ = (Σ (b − ½) + N(0, σ_b²)) / m + ½.</returns>
    public static double NoisyUnclippedFraction(double centredBitSum, double bitNoise, double denominator, INoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        if (!(bitNoise >= 0) || !double.IsFinite(bitNoise))
        {
            throw new ArgumentOutOfRangeException(nameof(bitNoise), bitNoise, "The bit noise must be finite and non-negative.");
        }

        if (!(denominator > 0) || !double.IsFinite(denominator))
        {
            throw new ArgumentOutOfRangeException(nameof(denominator), denominator, "The denominator must be finite and positive.");
        }

        Span<double> draw = stackalloc double[1];
        noise.NextStandardNormals(draw);
        double estimate = ((centredBitSum + (bitNoise * draw[0])) / denominator) + 0.5;
        return Math.Clamp(estimate, 0.0, 1.0);
    }

    /// <summary>The geometric update C ← C·exp(−η_C (b̃ − γ)).</summary>
    /// <param name="clipNorm">The current bound C.</param>
    /// <param name="unclippedFraction">b̃, the (noisy) fraction of updates that were not clipped.</param>
    /// <param name="targetQuantile">γ.</param>
    /// <param name="learningRate">η_C.</param>
    /// <returns>The next bound.</returns>
    public static double NextClip(double clipNorm, double unclippedFraction, double targetQuantile, double learningRate) =>
        clipNorm * Math.Exp(-learningRate * (unclippedFraction - targetQuantile));
}
