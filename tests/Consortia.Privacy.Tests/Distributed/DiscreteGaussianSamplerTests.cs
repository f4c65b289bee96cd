using Consortia.Learning;
using Consortia.Privacy.Distributed;

namespace Consortia.Privacy.Tests.Distributed;

public sealed class DiscreteGaussianSamplerTests
{
    private const int Draws = 1_000_000;

    /// <summary>
    /// 10⁶ seeded draws against the exact pmf exp(−x²/(2σ²))/Σ_k exp(−k²/(2σ²)), with moment checks: σ² = 0.3 (t = 1,
    /// almost all mass on −1, 0, 1), 7.5 (fractional σ², t = 3) and 10⁴ (t = 101, the sizes site shares take).
    /// </summary>
    [Trait("Category", "Slow")]
    [Theory]
    [InlineData(0.3, 23UL)]
    [InlineData(7.5, 29UL)]
    [InlineData(10_000, 31UL)]
    public void Sample_MillionSeededDraws_FitTheExactPmf(double sigma2, ulong seed)
    {
        DiscreteGaussianSampler sampler = DiscreteGaussianSampler.FromVariance(sigma2);
        SeededWordSource source = new(new RandomSource(seed));
        Dictionary<long, long> counts = [];
        double sum = 0, sumSquares = 0, sumFourth = 0;
        for (int i = 0; i < Draws; i++)
        {
            long k = sampler.Sample(source);
            counts[k] = counts.GetValueOrDefault(k) + 1;
            sum += k;
            sumSquares += (double)k * k;
            sumFourth += (double)k * k * k * k;
        }

        double s2 = sampler.Sigma2;
        long range = (long)Math.Ceiling(12 * Math.Sqrt(s2)) + 3;
        double normaliser = 0, exactVariance = 0;
        for (long k = -range; k <= range; k++)
        {
            double w = Math.Exp(-(double)k * k / (2 * s2));
            normaliser += w;
            exactVariance += (double)k * k * w;
        }

        exactVariance /= normaliser;
        double Pmf(long k) => Math.Exp(-(double)k * k / (2 * s2)) / normaliser;

        (double statistic, double critical, int degrees) = GoodnessOfFit.ChiSquare(counts, Pmf, -range, range);
        Assert.True(degrees >= 2, $"only {degrees} degrees of freedom");
        Assert.True(statistic < critical, $"chi-square {statistic:F1} ≥ {critical:F1} with {degrees} degrees of freedom");

        // Symmetric: mean 0. Variance: the law's exact variance (below σ² for small σ), within 5 standard errors.
        double mean = sum / Draws;
        double secondMoment = sumSquares / Draws;
        Assert.InRange(mean, -5 * Math.Sqrt(exactVariance / Draws), 5 * Math.Sqrt(exactVariance / Draws));
        double varianceError = Math.Sqrt(((sumFourth / Draws) - (secondMoment * secondMoment)) / Draws);
        Assert.InRange(secondMoment, exactVariance - (5 * varianceError), exactVariance + (5 * varianceError));
    }

    /// <summary>The cost does not grow with σ² (Skellam's exact Poisson draws do): words per draw at σ² = 10 and 10¹⁰ stay within a factor 1.5.</summary>
    [Fact]
    public void Sample_WordsPerDraw_DoNotGrowWithTheVariance()
    {
        double small = WordsPerDraw(10);
        double large = WordsPerDraw(1e10);

        Assert.InRange(small, 2, 60);
        Assert.InRange(large / small, 0.67, 1.5);
    }

    [Fact]
    public void FromVariance_RoundsUpOntoTheGridAndRejectsOutOfRange()
    {
        DiscreteGaussianSampler sampler = DiscreteGaussianSampler.FromVariance(1234.56789);

        Assert.True(sampler.Sigma2 >= 1234.56789);
        Assert.True(sampler.Sigma2 - 1234.56789 < 1234.56789 * Math.Pow(2, -23), $"σ² {sampler.Sigma2:R}");
        Assert.Equal(DiscreteGaussianSampler.GridDenominator, DiscreteGaussianSampler.FromVariance(0.3).Denominator); // the finest grid for small σ²
        Assert.Equal(1UL, DiscreteGaussianSampler.FromVariance(3e9).Denominator); // integers for large σ²
        Assert.Throws<ArgumentOutOfRangeException>(() => DiscreteGaussianSampler.FromVariance(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => DiscreteGaussianSampler.FromVariance(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => DiscreteGaussianSampler.FromVariance(DiscreteGaussianSampler.MaxVariance * 2));
    }

    [Fact]
    public void Sample_SameSeed_SameDraws()
    {
        DiscreteGaussianSampler sampler = DiscreteGaussianSampler.FromVariance(50);
        long[] a = new long[100], b = new long[100];
        sampler.AddTo(a, new SeededWordSource(new RandomSource(5)));
        sampler.AddTo(b, new SeededWordSource(new RandomSource(5)));

        Assert.Equal(a, b);
        Assert.Contains(a, x => x != 0);
    }

    private static double WordsPerDraw(double sigma2)
    {
        CountingSource source = new(new SeededWordSource(new RandomSource(77)));
        DiscreteGaussianSampler sampler = DiscreteGaussianSampler.FromVariance(sigma2);
        const int draws = 20_000;
        for (int i = 0; i < draws; i++)
        {
            _ = sampler.Sample(source);
        }

        return (double)source.Words / draws;
    }

    private sealed class CountingSource(IRandomWordSource inner) : IRandomWordSource
    {
        public long Words { get; private set; }

        public ulong NextUInt64()
        {
            Words++;
            return inner.NextUInt64();
        }
    }
}
