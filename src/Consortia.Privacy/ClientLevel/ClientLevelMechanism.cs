using System.Numerics.Tensors;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Privacy.ClientLevel;

/// <summary>The two halves of client-level DP-FedAvg: clipping at each site, noise and averaging at the coordinator.</summary>
/// <remarks>
/// <para>
/// McMahan, Ramage, Talwar, Zhang (2018), "Learning Differentially Private Recurrent Language Models", ICLR
/// (Algorithm 1, the flat-clipping fixed-denominator estimator). A site clips its update Δ to Δ̂ = Δ·min(1, C/‖Δ‖₂)
/// <em>before</em> any weighting or quantisation, so the coordinator can work from the sum alone (which is all secure
/// aggregation gives it): Δ̄ = (Σ Δ̂ + N(0, (z·C)² I)) / m. Adding or removing one site changes Σ Δ̂ by at most C in
/// L2, so each round is one Gaussian mechanism of noise multiplier z, sub-sampled at the site-sampling rate q.
/// </para>
/// <para>
/// The weights are uniform and the denominator m is fixed (the number of sites sampled, not the number that
/// answered, nor their example counts): weighting by example count, or dividing by the realised count, would make the
/// sensitivity depend on the data.
/// </para>
/// </remarks>
public static class ClientLevelMechanism
{
    /// <summary>Clips a site's update in place to L2 norm at most <paramref name="clipNorm"/> (done at the site).</summary>
    /// <param name="update">The site's model delta, unweighted.</param>
    /// <param name="clipNorm">C; finite and positive.</param>
    /// <returns>The norm before clipping.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="clipNorm"/> is not finite and positive.</exception>
    /// <exception cref="ArgumentException">A value is NaN or infinite.</exception>
    public static double ClipUpdate(Span<float> update, double clipNorm) => L2Clipping.ClipInPlace(update, clipNorm);

    /// <summary>
    /// Adaptive clipping's per-site contribution to the private count of unclipped updates, centred so that it is
    /// ±½ (sensitivity ½ under add/remove, and it sums under secure aggregation with the update).
    /// </summary>
    /// <param name="norm">The update's norm before clipping.</param>
    /// <param name="clipNorm">The round's bound C.</param>
    /// <returns>+½ when ‖Δ‖ ≤ C (not clipped), else −½.</returns>
    public static double CentredUnclippedBit(double norm, double clipNorm) => norm <= clipNorm ? 0.5 : -0.5;

    /// <summary>
    /// Turns the sum of clipped updates into the private average in place: adds N(0, (z·C)²) to every coordinate, then
    /// divides by <paramref name="denominator"/>; the noise standard deviation on the average is z·C/m.
    /// </summary>
    /// <param name="sum">Σ Δ̂ over the sites that contributed; replaced by the noisy average.</param>
    /// <param name="noiseMultiplier">z (z_Δ under adaptive clipping); finite and ≥ 0.</param>
    /// <param name="clipNorm">C; finite and positive.</param>
    /// <param name="denominator">m, the number of sites sampled for the round (fixed before any site answers); &gt; 0.</param>
    /// <param name="noise">The noise source: <see cref="CryptographicNoiseSource"/> for real runs.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is outside its domain.</exception>
    public static void NoisyAverage(Span<float> sum, double noiseMultiplier, double clipNorm, double denominator, INoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        if (!(denominator > 0) || !double.IsFinite(denominator))
        {
            throw new ArgumentOutOfRangeException(nameof(denominator), denominator, "The denominator must be finite and positive.");
        }

        GaussianMechanism.AddNoise(sum, noiseMultiplier, clipNorm, noise);
        TensorPrimitives.Multiply(sum, (float)(1.0 / denominator), sum);
    }
}
