namespace Consortia.Privacy.Distributed;

/// <summary>
/// Rényi DP of the distributed discrete Gaussian mechanism at integer orders (Kairouz, Liu, Steinke 2021; reference
/// §3.5): n sites each add N_Z(0, σ_l²) per coordinate, and the sum, with σ² = n·σ_l², is released.
/// </summary>
/// <remarks>
/// The sum of discrete Gaussians is close to, not exactly, a discrete Gaussian; the τ term bounds the gap. More
/// contributors than n only add independent noise to the sum of n (post-processing), so accounting with the fewest
/// contributors a round accepts bounds every round. Subsampling and the conversion to (ε, δ) are those of
/// <see cref="SkellamAccountant"/> (Zhu and Wang's integer-order bound holds for any mechanism).
/// </remarks>
public static class DiscreteGaussianAccountant
{
    /// <summary>τ = 10·Σ_{k=1}^{n−1} exp(−2π²σ_l²·k/(k+1)): the distance of the sum of n site shares from one discrete Gaussian.</summary>
    /// <param name="siteSigma2">σ_l², each site's parameter.</param>
    /// <param name="contributors">n ≥ 1.</param>
    /// <returns>τ (0 for a single site).</returns>
    public static double Tau(double siteSigma2, int contributors)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contributors, 1);
        double sum = 0;
        for (int k = 1; k < contributors; k++)
        {
            sum += Math.Exp(-2 * Math.PI * Math.PI * siteSigma2 * k / (k + 1));
        }

        return 10 * sum;
    }

    /// <summary>
    /// ε(α) = min{ αΔ₂²/(2σ²) + τd, (α/2)(Δ₂²/σ² + 2Δ₁τ/σ + τ²d), (α/2)(Δ₂/σ + τ√d)² } with σ² = n·σ_l²: one release
    /// of the sum of n sites' noised vectors.
    /// </summary>
    /// <param name="order">An integer order α ≥ 2.</param>
    /// <param name="l2Sensitivity">Δ₂ (integer domain).</param>
    /// <param name="l1Sensitivity">Δ₁.</param>
    /// <param name="dimension">d: the coordinates released.</param>
    /// <param name="siteSigma2">σ_l².</param>
    /// <param name="contributors">n.</param>
    /// <returns>ε(α).</returns>
    public static double Rdp(int order, double l2Sensitivity, double l1Sensitivity, int dimension, double siteSigma2, int contributors)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (!(siteSigma2 > 0))
        {
            return double.PositiveInfinity;
        }

        double a = order;
        double sigma2 = contributors * siteSigma2;
        double sigma = Math.Sqrt(sigma2);
        double tau = Tau(siteSigma2, contributors);
        double d2 = l2Sensitivity * l2Sensitivity;
        double first = (a * d2 / (2 * sigma2)) + (tau * dimension);
        double second = a / 2 * ((d2 / sigma2) + (2 * l1Sensitivity * tau / sigma) + (tau * tau * dimension));
        double root = (l2Sensitivity / sigma) + (tau * Math.Sqrt(dimension));
        double third = a / 2 * root * root;
        return Math.Min(first, Math.Min(second, third));
    }
}
