using Consortia.Learning;
using Consortia.Privacy.Distributed;

namespace Consortia.Privacy.Tests.Distributed;

public sealed class PoissonSamplerTests
{
    private const int Draws = 1_000_000;

    [Trait("Category", "Slow")]
    [Theory]
    [InlineData(0.3)]
    [InlineData(0.5)]
    [InlineData(3.7)]
    [InlineData(12.25)]
    public void Sample_MillionSeededDraws_FitTheExactPmf(double mean)
    {
        PoissonSampler sampler = PoissonSampler.FromMean(mean);
        SeededWordSource source = new(new RandomSource(17));
        Dictionary<long, long> counts = [];
        double sum = 0, sumSquares = 0;
        for (int i = 0; i < Draws; i++)
        {
            long k = sampler.Sample(source);
            counts[k] = counts.GetValueOrDefault(k) + 1;
            sum += k;
            sumSquares += (double)k * k;
        }

        double[] pmf = GoodnessOfFit.PoissonPmf(sampler.Mean, 200);
        (double statistic, double critical, int degrees) = GoodnessOfFit.ChiSquare(counts, k => pmf[k], 0, 200);
        Assert.True(degrees >= 2, $"only {degrees} degrees of freedom");
        Assert.True(statistic < critical, $"chi-square {statistic:F1} ≥ {critical:F1} with {degrees} degrees of freedom");

        // Mean and variance both λ; the standard error of the mean is √(λ/n), of the variance about √(λ(1+2λ)/n).
        double m = sum / Draws;
        double variance = (sumSquares / Draws) - (m * m);
        Assert.InRange(m, mean - (5 * Math.Sqrt(mean / Draws)), mean + (5 * Math.Sqrt(mean / Draws)));
        double varianceError = Math.Sqrt(mean * (1 + (2 * mean)) / Draws);
        Assert.InRange(variance, mean - (5 * varianceError), mean + (5 * varianceError));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public void ChiSquare_AgainstASlightlyWrongMean_Rejects()
    {
        // The test has power: draws at λ = 3.7 are rejected against the pmf of λ = 3.8.
        PoissonSampler sampler = PoissonSampler.FromMean(3.7);
        SeededWordSource source = new(new RandomSource(17));
        Dictionary<long, long> counts = [];
        for (int i = 0; i < Draws; i++)
        {
            long k = sampler.Sample(source);
            counts[k] = counts.GetValueOrDefault(k) + 1;
        }

        double[] wrong = GoodnessOfFit.PoissonPmf(3.8, 200);
        (double statistic, double critical, _) = GoodnessOfFit.ChiSquare(counts, k => wrong[k], 0, 200);
        Assert.True(statistic > critical);
    }

    [Fact]
    public void FromMean_RoundsUpToTheGrid()
    {
        PoissonSampler sampler = PoissonSampler.FromMean(1.0 / 3);

        Assert.Equal(PoissonSampler.GridDenominator, sampler.Denominator);
        Assert.True(sampler.Mean >= 1.0 / 3);
        Assert.True(sampler.Mean - (1.0 / 3) < 1.0 / PoissonSampler.GridDenominator);
    }

    [Fact]
    public void Sample_ZeroMean_IsZero()
    {
        Assert.Equal(0, PoissonSampler.FromMean(0).Sample(new SeededWordSource(new RandomSource(1))));
    }

    [Fact]
    public void Construction_OutOfRange_IsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PoissonSampler.FromMean(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => PoissonSampler.FromMean(double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => PoissonSampler.FromMean(PoissonSampler.MaxMean * 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PoissonSampler(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PoissonSampler(1, (1UL << 24) + 1));
    }

    [Fact]
    public void Sample_SameSeed_SameDraws()
    {
        PoissonSampler sampler = PoissonSampler.FromMean(5);
        SeededWordSource a = new(new RandomSource(9)), b = new(new RandomSource(9));

        Assert.Equal(Enumerable.Range(0, 100).Select(_ => sampler.Sample(a)), Enumerable.Range(0, 100).Select(_ => sampler.Sample(b)));
    }

    [Fact]
    public void CryptographicWordSource_DrawsDiffer()
    {
        using CryptographicWordSource source = new();
        ulong[] words = [.. Enumerable.Range(0, 1000).Select(_ => source.NextUInt64())];

        Assert.Equal(words.Length, words.Distinct().Count());
    }
}
