using Consortia.Learning;
using Consortia.Privacy.ClientLevel;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Privacy.Tests.ClientLevel;

public sealed class AdaptiveClippingTests
{
    /// <summary>The worked values of the design reference §3.4.</summary>
    [Theory]
    [InlineData(1.0, 100, 1.005037815)]
    [InlineData(1.0, 20, 1.154700538)]
    [InlineData(0.5, 10, 0.577350269)]
    public void UpdateNoiseMultiplier_WorkedValues(double z, int sites, double expected)
    {
        double bitNoise = AdaptiveClipping.DefaultBitNoise(sites);

        Assert.Equal(expected, AdaptiveClipping.UpdateNoiseMultiplier(z, bitNoise), 1e-8);
    }

    [Fact]
    public void UpdateNoiseMultiplier_TogetherWithTheBitQuery_IsOneGaussianMechanismOfMultiplierZ()
    {
        // Update query: sensitivity C, noise z_Δ·C; count query: sensitivity ½, noise σ_b. Combined: 1/z² = 1/z_Δ² + 1/(2σ_b)².
        double z = 0.9, bitNoise = 1.7;
        double zUpdate = AdaptiveClipping.UpdateNoiseMultiplier(z, bitNoise);

        Assert.Equal(1 / (z * z), (1 / (zUpdate * zUpdate)) + (1 / (4 * bitNoise * bitNoise)), 12);
    }

    [Fact]
    public void UpdateNoiseMultiplier_ZAtLeastTwiceBitNoise_IsRefused()
    {
        Assert.Equal(0.5, AdaptiveClipping.DefaultBitNoise(10));
        Assert.False(AdaptiveClipping.CanSplit(1.0, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => AdaptiveClipping.UpdateNoiseMultiplier(1.0, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => AdaptiveClipping.UpdateNoiseMultiplier(1.2, 0.5));
    }

    [Fact]
    public void NextClip_WorkedValue()
    {
        Assert.Equal(0.941764534, AdaptiveClipping.NextClip(1.0, 0.8, 0.5, 0.2), 1e-8);
    }

    [Fact]
    public void NextClip_MostUpdatesClipped_GrowsTheBound()
    {
        // Only 10% of updates were not clipped, target 50%: the bound must grow (the rule Flower's strategies invert).
        Assert.True(AdaptiveClipping.NextClip(1.0, 0.1, 0.5, 0.2) > 1.0);
        Assert.True(AdaptiveClipping.NextClip(1.0, 0.9, 0.5, 0.2) < 1.0);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.8)]
    [InlineData(0.2)]
    public void Clip_WithoutBitNoise_ConvergesToTheTargetQuantileOfSyntheticNorms(double gamma)
    {
        RandomSource random = new(23);
        double[] norms = [.. Enumerable.Range(0, 200).Select(_ => Math.Exp(random.NextGaussian()))]; // log-normal update norms
        double[] sorted = [.. norms.Order()];
        double quantile = sorted[(int)Math.Round(gamma * (sorted.Length - 1))];
        const double Eta = 0.2;
        SeededNoiseSource noise = new(new RandomSource(1));

        double clip = 0.01; // far below every norm
        List<double> late = [];
        for (int round = 0; round < 400; round++)
        {
            double centred = norms.Sum(n => ClientLevelMechanism.CentredUnclippedBit(n, clip));
            double fraction = AdaptiveClipping.NoisyUnclippedFraction(centred, 0.0, norms.Length, noise);
            clip = AdaptiveClipping.NextClip(clip, fraction, gamma, Eta);
            if (round >= 300)
            {
                late.Add(clip);
            }
        }

        // It ends up oscillating around the quantile within a factor e^η.
        Assert.All(late, c => Assert.InRange(c, quantile * Math.Exp(-Eta), quantile * Math.Exp(Eta)));
    }

    [Fact]
    public void NoisyUnclippedFraction_IsTheCentredSumOverMPlusHalf_ClampedToTheUnitInterval()
    {
        SeededNoiseSource noise = new(new RandomSource(1));

        Assert.Equal(0.75, AdaptiveClipping.NoisyUnclippedFraction(1.0, 0.0, 4, noise), 12);   // 3 of 4 unclipped: 3·½ − 1·½ = 1
        Assert.Equal(1.0, AdaptiveClipping.NoisyUnclippedFraction(10.0, 0.0, 4, noise), 12);
        Assert.Equal(0.0, AdaptiveClipping.NoisyUnclippedFraction(-10.0, 0.0, 4, noise), 12);
    }

    [Fact]
    public void NoisyUnclippedFraction_NoiseHasStandardDeviationSigmaBOverM()
    {
        SeededNoiseSource noise = new(new RandomSource(99));
        const int N = 20_000;
        double sigmaB = 2.0, m = 100;
        double[] draws = [.. Enumerable.Range(0, N).Select(_ => AdaptiveClipping.NoisyUnclippedFraction(0.0, sigmaB, m, noise))];

        double mean = draws.Average();
        double std = Math.Sqrt(draws.Sum(d => (d - mean) * (d - mean)) / (N - 1));

        Assert.InRange(std, 0.02 * 0.97, 0.02 * 1.03);
        Assert.InRange(mean, 0.5 - 0.001, 0.5 + 0.001);
    }
}
