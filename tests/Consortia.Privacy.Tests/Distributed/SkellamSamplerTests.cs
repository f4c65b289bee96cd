using Consortia.Learning;
using Consortia.Privacy.Distributed;

namespace Consortia.Privacy.Tests.Distributed;

public sealed class SkellamSamplerTests
{
    private const int Draws = 1_000_000;

    [Trait("Category", "Slow")]
    [Theory]
    [InlineData(0.8)]
    [InlineData(20)]
    public void Sample_MillionSeededDraws_FitTheExactPmf(double variance)
    {
        SkellamSampler sampler = SkellamSampler.FromVariance(variance);
        SeededWordSource source = new(new RandomSource(23));
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

        // Exact pmf of Poisson(λ) − Poisson(λ): P(k) = Σ_j p(j + |k|) p(j).
        double lambda = sampler.Variance / 2;
        double[] poisson = GoodnessOfFit.PoissonPmf(lambda, 300);
        double Pmf(long k)
        {
            long a = Math.Abs(k);
            double p = 0;
            for (long j = 0; j + a < poisson.Length; j++)
            {
                p += poisson[j + a] * poisson[j];
            }

            return p;
        }

        (double statistic, double critical, int degrees) = GoodnessOfFit.ChiSquare(counts, Pmf, -150, 150);
        Assert.True(degrees >= 2, $"only {degrees} degrees of freedom");
        Assert.True(statistic < critical, $"chi-square {statistic:F1} ≥ {critical:F1} with {degrees} degrees of freedom");

        // Mean 0 and variance μ; Var(X²) = E X⁴ − μ² = μ + 2μ² + ... bounded here by the sample's own fourth moment.
        double mean = sum / Draws;
        double secondMoment = sumSquares / Draws;
        Assert.InRange(mean, -5 * Math.Sqrt(variance / Draws), 5 * Math.Sqrt(variance / Draws));
        double varianceError = Math.Sqrt(((sumFourth / Draws) - (secondMoment * secondMoment)) / Draws);
        Assert.InRange(secondMoment, sampler.Variance - (5 * varianceError), sampler.Variance + (5 * varianceError));
    }

    [Fact]
    public void Variance_IsAtLeastTheOneAskedFor()
    {
        Assert.True(SkellamSampler.FromVariance(1234.56789).Variance >= 1234.56789);
        Assert.Throws<ArgumentOutOfRangeException>(() => SkellamSampler.FromVariance(-1));
    }

    [Fact]
    public void AddTo_AddsIndependentDrawsToEachElement()
    {
        SkellamSampler sampler = SkellamSampler.FromVariance(50);
        long[] values = new long[1000];
        Array.Fill(values, 7);

        sampler.AddTo(values, new SeededWordSource(new RandomSource(3)));

        Assert.InRange(values.Average(), 7 - 1.5, 7 + 1.5);
        Assert.True(values.Distinct().Count() > 20);
    }
}
