namespace Consortia.Privacy.Distributed;

/// <summary>
/// Exact symmetric Skellam noise of variance μ: the difference of two independent Poisson(μ/2) draws (Agarwal,
/// Kairouz, Liu 2021). Sums of independent Skellam draws are Skellam with the summed variance, so the sites' shares add
/// up to exactly the aggregate noise.
/// </summary>
public sealed class SkellamSampler
{
    private readonly PoissonSampler _half;

    private SkellamSampler(PoissonSampler half) => _half = half;

    /// <summary>The sampler whose variance is the smallest value ≥ <paramref name="variance"/> on the Poisson grid (2 × 2⁻²⁰).</summary>
    /// <param name="variance">μ ≥ 0.</param>
    /// <returns>The sampler.</returns>
    public static SkellamSampler FromVariance(double variance)
    {
        if (!(variance >= 0) || variance > 2 * PoissonSampler.MaxMean)
        {
            throw new ArgumentOutOfRangeException(nameof(variance), variance, $"Expected a Skellam variance in [0, {2 * PoissonSampler.MaxMean}].");
        }

        return new SkellamSampler(PoissonSampler.FromMean(variance / 2));
    }

    /// <summary>The exact variance drawn (2λ of the two Poissons), ≥ the one asked for.</summary>
    public double Variance => 2 * _half.Mean;

    /// <summary>Draws one value.</summary>
    /// <param name="source">The word source.</param>
    /// <returns>Poisson(μ/2) − Poisson(μ/2).</returns>
    public long Sample(IRandomWordSource source) => _half.Sample(source) - _half.Sample(source);

    /// <summary>Adds an independent draw to every element.</summary>
    /// <param name="values">The integer vector.</param>
    /// <param name="source">The word source.</param>
    public void AddTo(Span<long> values, IRandomWordSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] += Sample(source);
        }
    }
}
