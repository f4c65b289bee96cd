using Consortia.Learning;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Privacy.Tests.Mechanisms;

public sealed class GaussianMechanismTests
{
    [Fact]
    public void AddNoise_Float_HasStandardDeviationSigmaTimesClip()
    {
        const int N = 100_000;
        float[] values = new float[N];
        Array.Fill(values, 0.25f);

        GaussianMechanism.AddNoise(values, 1.5, 0.4, new SeededNoiseSource(new RandomSource(3)));

        double mean = values.Average(v => (double)v - 0.25);
        double std = Math.Sqrt(values.Sum(v => Math.Pow(v - 0.25 - mean, 2)) / (N - 1));
        // σ·C = 0.6; the standard error of the sample standard deviation is 0.6/√(2N) ≈ 0.0013.
        Assert.InRange(std, 0.6 - 0.007, 0.6 + 0.007);
        Assert.InRange(mean, -0.0095, 0.0095);
    }

    [Fact]
    public void AddNoise_Double_EqualsStdTimesDraws()
    {
        double[] values = [1.0, 2.0, 3.0];
        double[] draws = new double[3];
        new SeededNoiseSource(new RandomSource(8)).NextStandardNormals(draws);

        GaussianMechanism.AddNoise(values, 2.0, 0.5, new SeededNoiseSource(new RandomSource(8)));

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(i + 1.0 + draws[i], values[i], 1e-15);
        }
    }

    [Fact]
    public void AddNoise_SameSeed_Reproducible()
    {
        float[] a = new float[3000];
        float[] b = new float[3000];

        GaussianMechanism.AddNoise(a, 1.0, 1.0, new SeededNoiseSource(new RandomSource(1)));
        GaussianMechanism.AddNoise(b, 1.0, 1.0, new SeededNoiseSource(new RandomSource(1)));

        Assert.Equal(a, b);
        Assert.Contains(a, v => v != 0f);
    }

    [Fact]
    public void AddNoise_ZeroNoiseMultiplier_LeavesValues()
    {
        float[] values = [1f, -2f, 3f];

        GaussianMechanism.AddNoise(values, 0.0, 1.0, new SeededNoiseSource(new RandomSource(1)));

        Assert.Equal([1f, -2f, 3f], values);
    }

    [Fact]
    public void ClipAndAddNoise_ClipsBeforeNoising()
    {
        float[] values = [30f, 40f];
        float[] noise = new float[2];
        GaussianMechanism.AddNoise(noise, 0.1, 1.0, new SeededNoiseSource(new RandomSource(4)));

        double norm = GaussianMechanism.ClipAndAddNoise(values, 0.1, 1.0, new SeededNoiseSource(new RandomSource(4)));

        Assert.Equal(50.0, norm, 1e-9);
        Assert.Equal(0.6f + noise[0], values[0], 1e-5f);
        Assert.Equal(0.8f + noise[1], values[1], 1e-5f);
    }

    [Fact]
    public void AddNoise_ParameterVector_NoisesEveryValue()
    {
        ParameterVector vector = new(ParameterLayout.Create(("w", [2, 3])));

        GaussianMechanism.AddNoise(vector, 1.0, 1.0, new SeededNoiseSource(new RandomSource(2)));

        Assert.All(vector.Values.ToArray(), v => Assert.NotEqual(0f, v));
    }

    [Theory]
    [InlineData(-1.0, 1.0)]
    [InlineData(double.NaN, 1.0)]
    [InlineData(1.0, 0.0)]
    [InlineData(1.0, double.PositiveInfinity)]
    public void AddNoise_InvalidParameters_Throw(double noiseMultiplier, double clipNorm)
    {
        float[] values = [1f];
        SeededNoiseSource source = new(new RandomSource(1));

        Assert.Throws<ArgumentOutOfRangeException>(() => GaussianMechanism.AddNoise(values, noiseMultiplier, clipNorm, source));
        Assert.Equal(1f, values[0]);
    }
}
