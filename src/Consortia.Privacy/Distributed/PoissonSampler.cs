namespace Consortia.Privacy.Distributed;

/// <summary>
/// An exact Poisson(λ) sampler for a rational mean λ = numerator / denominator, driven by uniform 64-bit words with
/// integer arithmetic only (no floating point, so no rounding can bias or leak the distribution).
/// </summary>
/// <remarks>
/// <para>
/// λ is split into k equal parts p/q ≤ ½ and Poisson(λ) is the sum of k independent Poisson(p/q) draws. Each part is
/// drawn by rejection from the sequential proposal "K = 0; while Bernoulli(p/(q(K+1))): K += 1", whose law is
/// P(K = k) = (λᵏ/k!)(1 − λ/(k+1)); accepting K = k with probability (1 − λ)/(1 − λ/(k+1)) = (q − p)(k+1) / ((k+1)q − p)
/// (≤ 1) leaves P(k, accepted) = (1 − λ)λᵏ/k!, proportional to the Poisson pmf. Every probability is a ratio of
/// integers, drawn exactly by <see cref="ExactDraws.Bernoulli(IRandomWordSource, ulong, ulong)"/>; the acceptance rate is (1 − λ)e^λ ≥ 0.82 for λ ≤ ½.
/// </para>
/// <para>Cost: O(λ) words per draw (about six per unit of mean), so means are limited to <see cref="MaxMean"/>.</para>
/// </remarks>
public sealed class PoissonSampler
{
    /// <summary>The largest mean accepted (the cost is linear in it).</summary>
    public const double MaxMean = 1 << 24;

    /// <summary>The denominator of the grid <see cref="FromMean"/> rounds to: 2⁻²⁰.</summary>
    public const ulong GridDenominator = 1UL << 20;

    private readonly ulong _p; // each part's mean is _p / _q ≤ ½
    private readonly ulong _q;
    private readonly ulong _parts;

    /// <summary>Creates a sampler for λ = <paramref name="numerator"/> / <paramref name="denominator"/>.</summary>
    /// <param name="numerator">≥ 0.</param>
    /// <param name="denominator">In [1, 2²⁴].</param>
    /// <exception cref="ArgumentOutOfRangeException">The mean is above <see cref="MaxMean"/> or the denominator out of range.</exception>
    public PoissonSampler(ulong numerator, ulong denominator)
    {
        ArgumentOutOfRangeException.ThrowIfZero(denominator);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(denominator, 1UL << 24);
        if ((double)numerator / denominator > MaxMean)
        {
            throw new ArgumentOutOfRangeException(nameof(numerator), (double)numerator / denominator, $"The Poisson mean must be at most {MaxMean} (the exact sampler's cost is linear in it).");
        }

        Numerator = numerator;
        Denominator = denominator;
        _parts = Math.Max(1, ((2 * numerator) + denominator - 1) / denominator); // ⌈2λ⌉ parts, each ≤ ½
        _p = numerator;
        _q = denominator * _parts; // ≤ 2⁴⁹: (k+1)·q below overflows only for k ≥ 2¹⁴, probability below 1/(2¹⁴)!
    }

    /// <summary>The sampler for the smallest mean ≥ <paramref name="mean"/> on the grid of 2⁻²⁰ (rounding up only adds noise).</summary>
    /// <param name="mean">λ ≥ 0.</param>
    /// <returns>The sampler.</returns>
    public static PoissonSampler FromMean(double mean)
    {
        if (!(mean >= 0) || mean > MaxMean)
        {
            throw new ArgumentOutOfRangeException(nameof(mean), mean, $"Expected a Poisson mean in [0, {MaxMean}].");
        }

        return new PoissonSampler((ulong)Math.Ceiling(mean * GridDenominator), GridDenominator);
    }

    /// <summary>The numerator of λ.</summary>
    public ulong Numerator { get; }

    /// <summary>The denominator of λ.</summary>
    public ulong Denominator { get; }

    /// <summary>λ as a double (the exact value is <see cref="Numerator"/> / <see cref="Denominator"/>).</summary>
    public double Mean => (double)Numerator / Denominator;

    /// <summary>Draws one Poisson(λ) value.</summary>
    /// <param name="source">The word source.</param>
    /// <returns>The draw.</returns>
    public long Sample(IRandomWordSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (_p == 0)
        {
            return 0;
        }

        long total = 0;
        for (ulong part = 0; part < _parts; part++)
        {
            total += SamplePart(source);
        }

        return total;
    }

    private long SamplePart(IRandomWordSource source)
    {
        while (true)
        {
            ulong k = 0;
            while (ExactDraws.Bernoulli(source, _p, checked(_q * (k + 1))))
            {
                k++;
            }

            ulong k1 = k + 1;
            if (ExactDraws.Bernoulli(source, checked((_q - _p) * k1), checked(k1 * _q) - _p))
            {
                return (long)k;
            }
        }
    }
}
