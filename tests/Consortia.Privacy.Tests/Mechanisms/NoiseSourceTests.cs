using System.Buffers.Binary;
using Consortia.Learning;
using Consortia.Privacy.Accounting;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Privacy.Tests.Mechanisms;

public sealed class NoiseSourceTests
{
    private static double NormalCdf(double x) =>
        x >= 0 ? 1 - (0.5 * LogMath.ErfcNonNegative(x / Math.Sqrt(2))) : 0.5 * LogMath.ErfcNonNegative(-x / Math.Sqrt(2));

    [Fact]
    public void SeededSource_Moments_MatchStandardNormal()
    {
        const int N = 200_000;
        double[] z = new double[N];

        new SeededNoiseSource(new RandomSource(2024)).NextStandardNormals(z);

        double mean = z.Average();
        double variance = z.Select(v => (v - mean) * (v - mean)).Sum() / (N - 1);
        double skewness = z.Select(v => Math.Pow(v - mean, 3)).Average() / Math.Pow(variance, 1.5);
        double kurtosis = z.Select(v => Math.Pow(v - mean, 4)).Average() / (variance * variance);
        // Standard errors: mean 1/√N ≈ 0.0022, variance √(2/N) ≈ 0.0032, skewness √(6/N) ≈ 0.0055, kurtosis √(24/N) ≈ 0.011.
        Assert.InRange(mean, -0.011, 0.011);
        Assert.InRange(variance, 0.984, 1.016);
        Assert.InRange(skewness, -0.028, 0.028);
        Assert.InRange(kurtosis, 2.945, 3.055);
    }

    [Fact]
    public void SeededSource_KolmogorovSmirnov_AcceptsNormal()
    {
        const int N = 50_000;
        double[] z = new double[N];
        new SeededNoiseSource(new RandomSource(77)).NextStandardNormals(z);

        Array.Sort(z);
        double d = 0;
        for (int i = 0; i < N; i++)
        {
            double cdf = NormalCdf(z[i]);
            d = Math.Max(d, Math.Max(((i + 1.0) / N) - cdf, cdf - ((double)i / N)));
        }

        // Critical value at the 0.1 % level: 1.95/√N ≈ 0.0087.
        Assert.True(d < 1.95 / Math.Sqrt(N), $"KS statistic {d}");
    }

    [Fact]
    public void SeededSource_SameSeed_SameDraws_DifferentSeed_Different()
    {
        double[] a = new double[2501];
        double[] b = new double[2501];
        double[] c = new double[2501];

        new SeededNoiseSource(new RandomSource(5)).NextStandardNormals(a);
        new SeededNoiseSource(new RandomSource(5)).NextStandardNormals(b);
        new SeededNoiseSource(new RandomSource(6)).NextStandardNormals(c);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void CryptographicSource_InjectedBytes_IsTheBoxMullerTransform()
    {
        // Four normals take a block of four pairs: radius words 0–3, angle words 4–7; cosines first, then sines.
        ulong[] words =
        [
            0x0123456789ABCDEFUL, 0x8000000000000000UL, 0xFFFFFFFFFFFFF800UL, 0x0000000000000800UL,
            0xFEDCBA9876543210UL, 0x4000000000000000UL, 0xC000000000000000UL, 0x2000000000000000UL,
        ];
        byte[] bytes = new byte[words.Length * 8];
        for (int i = 0; i < words.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(i * 8), words[i]);
        }

        CryptographicNoiseSource source = new(destination => bytes.AsSpan(0, destination.Length).CopyTo(destination));
        double[] z = new double[4];

        source.NextStandardNormals(z);

        for (int i = 0; i < 4; i++)
        {
            (double r, double theta) = FloatNoiseTests.Reference(words[i], words[4 + i]);
            Assert.Equal(r * Math.Cos(theta), z[i], 2e-15 * (1 + r));
        }
    }

    [Fact]
    public void CryptographicSource_AllZeroBytes_GivesTheTruncationBound()
    {
        CryptographicNoiseSource source = new(destination => destination.Clear());
        double[] z = new double[2];

        source.NextStandardNormals(z);

        Assert.Equal(Math.Sqrt(108 * Math.Log(2)), z[0], 1e-14);
        Assert.Equal(Math.Sqrt(108 * Math.Log(2)), z[1], 1e-14);
    }

    [Fact]
    public void CryptographicSource_OperatingSystemRng_FiniteBoundedAndFresh()
    {
        CryptographicNoiseSource source = new();
        double[] first = new double[3000];
        double[] second = new double[3000];

        source.NextStandardNormals(first);
        source.NextStandardNormals(second);

        Assert.All(first, v => Assert.True(double.IsFinite(v) && v != 0 && Math.Abs(v) <= 8.6525));
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void NextStandardNormals_EmptySpan_DoesNothing()
    {
        int calls = 0;
        CryptographicNoiseSource source = new(_ => calls++);

        source.NextStandardNormals([]);

        Assert.Equal(0, calls);
    }
}
