using Consortia.Privacy.Accounting;

namespace Consortia.Privacy.Distributed;

/// <summary>
/// Rényi DP of the distributed Skellam mechanism at integer orders (Agarwal, Kairouz, Liu 2021; reference §3.5), with
/// Poisson subsampling of the sites by the general integer-order bound of Zhu and Wang (2019, Thm 5).
/// </summary>
public static class SkellamAccountant
{
    /// <summary>The orders: 2, 3, …, 128 and 256 (the grid of the authors' accounting code).</summary>
    public static RdpOrderGrid Orders => RdpOrderGrid.Integer2To128And256;

    /// <summary>
    /// ε(α) = α Δ₂²/(2μ) + min{((2α − 1)Δ₂² + 6Δ₁)/(4μ²), 3Δ₁/(2μ)}: one release of a sum carrying Skellam noise of
    /// total variance μ, for sensitivities Δ₂, Δ₁ in the integer domain.
    /// </summary>
    /// <param name="order">An integer order α ≥ 2.</param>
    /// <param name="l2Sensitivity">Δ₂.</param>
    /// <param name="l1Sensitivity">Δ₁.</param>
    /// <param name="variance">μ, the aggregate noise's variance per coordinate.</param>
    /// <returns>ε(α).</returns>
    public static double Rdp(int order, double l2Sensitivity, double l1Sensitivity, double variance)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 2);
        if (!(variance > 0))
        {
            return double.PositiveInfinity;
        }

        double a = order;
        double d2 = l2Sensitivity * l2Sensitivity;
        return (a * d2 / (2 * variance)) + Math.Min((((2 * a) - 1) * d2 + (6 * l1Sensitivity)) / (4 * variance * variance), 3 * l1Sensitivity / (2 * variance));
    }

    /// <summary>
    /// The Poisson-subsampled RDP at integer order α from the unsampled curve:
    /// ε'(α) ≤ ln[(1−q)^(α−1)(αq − q + 1) + C(α,2)q²(1−q)^(α−2)e^{ε(2)} + 3Σ_{l=3}^{α} C(α,l)(1−q)^(α−l)q^l e^{(l−1)ε(l)}]/(α − 1),
    /// and min(ε'(α), ε(α)).
    /// </summary>
    /// <param name="order">α ≥ 2.</param>
    /// <param name="sampleRate">q in (0, 1].</param>
    /// <param name="rdp">The unsampled ε(l), indexed by l (entries 2..α used).</param>
    /// <returns>The subsampled ε(α).</returns>
    public static double Subsampled(int order, double sampleRate, Func<int, double> rdp)
    {
        ArgumentNullException.ThrowIfNull(rdp);
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 2);
        double plain = rdp(order);
        if (sampleRate >= 1)
        {
            return plain;
        }

        if (!(sampleRate > 0))
        {
            return 0;
        }

        double a = order;
        double logQ = Math.Log(sampleRate);
        double log1mQ = LogMath.Log1P(-sampleRate);
        double sum = ((a - 1) * log1mQ) + Math.Log((a * sampleRate) - sampleRate + 1);
        double logBinomial = Math.Log(a * (a - 1) / 2); // ln C(α, 2)
        sum = LogMath.LogAdd(sum, logBinomial + (2 * logQ) + ((a - 2) * log1mQ) + rdp(2));
        for (int l = 3; l <= order; l++)
        {
            logBinomial += Math.Log((a - l + 1) / l); // C(α, l) = C(α, l−1)·(α − l + 1)/l
            sum = LogMath.LogAdd(sum, Math.Log(3) + logBinomial + ((a - l) * log1mQ) + (l * logQ) + ((l - 1) * rdp(l)));
        }

        return Math.Min(sum / (a - 1), plain);
    }

    /// <summary>ε at δ after <paramref name="rounds"/> rounds, each one subsampled release of the given per-round curve.</summary>
    /// <param name="sampleRate">q.</param>
    /// <param name="rounds">T.</param>
    /// <param name="delta">δ.</param>
    /// <param name="rdp">The unsampled per-round ε(l) for integer l ≥ 2.</param>
    /// <returns>ε, δ and the optimal order (improved conversion).</returns>
    public static PrivacyGuarantee Epsilon(double sampleRate, long rounds, double delta, Func<int, double> rdp)
    {
        ArgumentNullException.ThrowIfNull(rdp);
        ReadOnlySpan<double> orders = Orders.Orders;
        double[] total = new double[orders.Length];
        int largest = (int)orders[^1];
        double[] cache = new double[largest + 1];
        for (int l = 2; l <= largest; l++)
        {
            cache[l] = rdp(l);
        }

        for (int i = 0; i < orders.Length; i++)
        {
            total[i] = rounds * Subsampled((int)orders[i], sampleRate, l => cache[l]);
        }

        return RdpConverter.ToEpsilon(orders, total, delta);
    }
}
