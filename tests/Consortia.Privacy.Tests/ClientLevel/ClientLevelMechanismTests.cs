using Consortia.Learning;
using Consortia.Privacy.Accounting;
using Consortia.Privacy.ClientLevel;
using Consortia.Privacy.Mechanisms;
using FsCheck;
using FsCheck.Xunit;

namespace Consortia.Privacy.Tests.ClientLevel;

public sealed class ClientLevelMechanismTests
{
    [Property(MaxTest = 100, Replay = "(4242,977)")]
    public bool ClipUpdate_AnySeededUpdate_NormAtMostBoundAndUntouchedWhenWithin(PositiveInt length, PositiveInt seed, PositiveInt scaleRaw)
    {
        RandomSource random = new((ulong)seed.Get);
        double scale = Math.Pow(10, (scaleRaw.Get % 8) - 4);
        float[] update = new float[1 + (length.Get % 3000)];
        for (int i = 0; i < update.Length; i++)
        {
            update[i] = (float)(random.NextGaussian() * scale);
        }

        float[] original = (float[])update.Clone();
        double clip = 0.05 + random.NextDouble() * 3;

        double before = ClientLevelMechanism.ClipUpdate(update, clip);
        double after = L2Clipping.Norm(update);

        return after <= clip && (before > clip ? after >= clip * (1 - 1e-6) : update.AsSpan().SequenceEqual(original));
    }

    [Fact]
    public void CentredUnclippedBit_IsPlusHalfWhenNotClippedAndMinusHalfWhenClipped()
    {
        Assert.Equal(0.5, ClientLevelMechanism.CentredUnclippedBit(0.7, 1.0));
        Assert.Equal(0.5, ClientLevelMechanism.CentredUnclippedBit(1.0, 1.0));
        Assert.Equal(-0.5, ClientLevelMechanism.CentredUnclippedBit(1.0001, 1.0));
    }

    [Theory]
    [InlineData(1.3, 0.7, 4)]
    [InlineData(0.8, 2.0, 10)]
    public void NoisyAverage_NoiseOnTheAverageHasStandardDeviationZCOverM(double z, double clip, int sites)
    {
        const int N = 40_000;
        float[] sum = new float[N];
        for (int i = 0; i < N; i++)
        {
            sum[i] = sites * 0.25f; // a constant sum: its average is 0.25
        }

        ClientLevelMechanism.NoisyAverage(sum, z, clip, sites, new SeededNoiseSource(new RandomSource(17)));

        double mean = sum.Average(v => (double)v);
        double std = Math.Sqrt(sum.Sum(v => (v - mean) * (v - mean)) / (N - 1));
        double expected = z * clip / sites;
        // The sample standard deviation of 40,000 normals is within 2% of σ with overwhelming probability (its sd is σ/√(2N) ≈ 0.35%).
        Assert.InRange(std, expected * 0.98, expected * 1.02);
        Assert.InRange(mean, 0.25 - (4 * expected / Math.Sqrt(N)), 0.25 + (4 * expected / Math.Sqrt(N)));
    }

    [Fact]
    public void NoisyAverage_ZeroNoise_DividesByTheFixedDenominator()
    {
        float[] sum = [4f, -2f, 1f];

        ClientLevelMechanism.NoisyAverage(sum, 0.0, 1.0, 4, new SeededNoiseSource(new RandomSource(1)));

        Assert.Equal([1f, -0.5f, 0.25f], sum);
    }

    [Fact]
    public void NoisyAverage_InvalidDenominator_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ClientLevelMechanism.NoisyAverage(new float[3], 1.0, 1.0, 0, new SeededNoiseSource(new RandomSource(1))));
    }
}
