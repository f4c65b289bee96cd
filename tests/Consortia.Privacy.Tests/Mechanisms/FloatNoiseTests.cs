using System.Buffers.Binary;
using Consortia.Learning;
using Consortia.Privacy.Accounting;
using Consortia.Privacy.Mechanisms;
using System.Runtime.Intrinsics;

namespace Consortia.Privacy.Tests.Mechanisms;

/// <summary>The vectorised single-precision path (<see cref="INoiseSource.AddScaledStandardNormals"/>) of both sources.</summary>
public sealed class FloatNoiseTests
{
    private static double NormalCdf(double x) =>
        x >= 0 ? 1 - (0.5 * LogMath.ErfcNonNegative(x / Math.Sqrt(2))) : 0.5 * LogMath.ErfcNonNegative(-x / Math.Sqrt(2));

    private static float[] Draw(INoiseSource source, int count, float scale = 1f)
    {
        float[] z = new float[count];
        source.AddScaledStandardNormals(z, scale);
        return z;
    }

    private static double Correlation(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Func<double, double> f)
    {
        double ma = 0, mb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            ma += f(a[i]);
            mb += f(b[i]);
        }

        ma /= a.Length;
        mb /= a.Length;
        double sab = 0, saa = 0, sbb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            double x = f(a[i]) - ma, y = f(b[i]) - mb;
            sab += x * y;
            saa += x * x;
            sbb += y * y;
        }

        return sab / Math.Sqrt(saa * sbb);
    }

    public static TheoryData<string> Sources => ["seeded", "cryptographic"];

    // The cryptographic source's statistics are tested on injected deterministic bytes (tests stay reproducible);
    // the operating-system generator itself is exercised by Cryptographic_OperatingSystemRng_FiniteBoundedAndFresh.
    private static INoiseSource Create(string name)
    {
        if (name == "seeded")
        {
            return new SeededNoiseSource(new RandomSource(2026));
        }

        RandomSource bytes = new(2027);
        return new CryptographicNoiseSource(destination =>
        {
            for (int i = 0; i + 8 <= destination.Length; i += 8)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(destination[i..], bytes.NextUInt64());
            }
        });
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void Moments_MatchStandardNormal(string name)
    {
        const int N = 1 << 20;
        float[] z = Draw(Create(name), N);

        double mean = z.Average(v => (double)v);
        double variance = z.Sum(v => (v - mean) * (v - mean)) / (N - 1);
        double skewness = z.Average(v => Math.Pow(v - mean, 3)) / Math.Pow(variance, 1.5);
        double kurtosis = z.Average(v => Math.Pow(v - mean, 4)) / (variance * variance);
        // Five standard errors: mean 1/√N ≈ 0.001, variance √(2/N) ≈ 0.0014, skewness √(6/N) ≈ 0.0024, kurtosis √(24/N) ≈ 0.0048.
        Assert.InRange(mean, -0.005, 0.005);
        Assert.InRange(variance, 0.993, 1.007);
        Assert.InRange(skewness, -0.012, 0.012);
        Assert.InRange(kurtosis, 2.976, 3.024);
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void KolmogorovSmirnov_AcceptsNormal(string name)
    {
        const int N = 200_000;
        float[] z = Draw(Create(name), N);

        Array.Sort(z);
        double d = 0;
        for (int i = 0; i < N; i++)
        {
            double cdf = NormalCdf(z[i]);
            d = Math.Max(d, Math.Max(((i + 1.0) / N) - cdf, cdf - ((double)i / N)));
        }

        // Critical value at the 0.1 % level: 1.95/√N ≈ 0.0044.
        Assert.True(d < 1.95 / Math.Sqrt(N), $"KS statistic {d}");
    }

    [Fact]
    public void ChiSquare_BinsIncludingTails_MatchTheNormalCdf()
    {
        // 4M draws in 26 bins: 24 of width 0.25 on [−3, 3] and the two tails; then the far tails |z| > 4 and > 5.
        const int N = 1 << 22;
        float[] z = Draw(new SeededNoiseSource(new RandomSource(99)), N);
        double[] edges = [double.NegativeInfinity, .. Enumerable.Range(0, 25).Select(i => -3 + (0.25 * i)), double.PositiveInfinity];
        long[] counts = new long[edges.Length - 1];
        long beyond4 = 0, beyond5 = 0;
        foreach (float v in z)
        {
            int bin = Array.BinarySearch(edges, (double)v);
            counts[bin >= 0 ? Math.Min(bin, counts.Length - 1) : ~bin - 1]++;
            beyond4 += Math.Abs(v) > 4 ? 1 : 0;
            beyond5 += Math.Abs(v) > 5 ? 1 : 0;
        }

        double chi2 = 0;
        for (int b = 0; b < counts.Length; b++)
        {
            double expected = N * (NormalCdf(edges[b + 1]) - NormalCdf(edges[b]));
            chi2 += (counts[b] - expected) * (counts[b] - expected) / expected;
        }

        // 25 degrees of freedom: the 0.1 % critical value is 52.6.
        Assert.True(chi2 < 52.6, $"χ² = {chi2}");
        Assert.DoesNotContain(0f, z);
        double expected4 = N * 2 * NormalCdf(-4), expected5 = N * 2 * NormalCdf(-5);
        // Poisson counts: expected 266 beyond 4 (5 SDs ≈ 82), 2.4 beyond 5.
        Assert.InRange(beyond4, expected4 - (5 * Math.Sqrt(expected4)), expected4 + (5 * Math.Sqrt(expected4)));
        Assert.InRange(beyond5, 0, 15);
    }

    [Theory]
    [MemberData(nameof(Sources))]
    public void ConsecutiveAndPairedDraws_AreUncorrelated(string name)
    {
        const int N = 1 << 20;
        float[] z = Draw(Create(name), N);
        ReadOnlySpan<float> all = z;

        // Neighbours; the two draws of one Box–Muller pair (index i and i + 1024 in a block); and their squares,
        // which would show a shared radius if the pair were merely uncorrelated but dependent.
        double lag1 = Correlation(all[..^1], all[1..], v => v);
        double pair = Correlation(all[..(N - 1024)], all[1024..], v => v);
        double pairSquares = Correlation(all[..(N - 1024)], all[1024..], v => v * v);
        double lag1Squares = Correlation(all[..^1], all[1..], v => v * v);
        // 1/√N ≈ 0.001; 6 SDs.
        Assert.InRange(lag1, -0.006, 0.006);
        Assert.InRange(pair, -0.006, 0.006);
        Assert.InRange(pairSquares, -0.006, 0.006);
        Assert.InRange(lag1Squares, -0.006, 0.006);
    }

    [Fact]
    public void Seeded_SameSeed_SameDraws_DifferentSeed_Different()
    {
        float[] a = Draw(new SeededNoiseSource(new RandomSource(5)), 5001);
        float[] b = Draw(new SeededNoiseSource(new RandomSource(5)), 5001);
        float[] c = Draw(new SeededNoiseSource(new RandomSource(6)), 5001);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.All(a, v => Assert.NotEqual(0f, v));
    }

    [Fact]
    public void Seeded_ConsecutiveCalls_GiveFreshDraws()
    {
        SeededNoiseSource source = new(new RandomSource(12));

        float[] first = Draw(source, 3000);
        float[] second = Draw(source, 3000);

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Scale_MultipliesTheDraws_AndAddsToTheValues()
    {
        float[] unit = Draw(new SeededNoiseSource(new RandomSource(3)), 4100);
        float[] values = [.. Enumerable.Range(0, 4100).Select(i => i * 0.5f)];

        new SeededNoiseSource(new RandomSource(3)).AddScaledStandardNormals(values, 0.25f);

        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal((i * 0.5f) + (0.25f * unit[i]), values[i], 1e-4f * (1 + (i * 0.5f)));
        }
    }

    /// <summary>The documented transform in scalar double arithmetic: ln U of the 53-bit midpoint uniform, and θ.</summary>
    internal static (double Radius, double Theta) Reference(ulong radiusWord, ulong angleWord)
    {
        ulong k = radiusWord >> 11;
        bool upper = k >= 1UL << 52;
        double x = ((upper ? (1UL << 53) - 1 - k : k) + 0.5) * Math.Pow(2, -53); // min(U, 1 − U), exact
        // ln(1 − x) for the upper half by its series where 1 − x would lose digits.
        double logU = !upper ? Math.Log(x) : x < 1e-4 ? -(x + (x * x / 2) + (x * x * x / 3)) : Math.Log(1 - x);
        ulong j = ((angleWord + (1UL << 61)) >> 62) & 3;
        long n = (long)(angleWord << 2) >> 12;
        return (Math.Sqrt(-2 * logU), Math.PI / 2 * (j + ((n + 0.5) * Math.Pow(2, -52))));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(15)]
    [InlineData(2048)]
    [InlineData(2049)]
    [InlineData(256_513)]
    public void Cryptographic_InjectedBytes_IsTheDocumentedTransform(int count)
    {
        // Deterministic bytes (a seeded stream) through the float path, against a double-precision reference of
        // the documented transform: blocks of P pairs read P radius words then P angle words (64-bit, low half
        // first); cosines first, then sines.
        RandomSource bytes = new(31);
        List<uint> consumed = [];
        CryptographicNoiseSource source = new(destination =>
        {
            for (int i = 0; i < destination.Length; i += 4)
            {
                uint w = (uint)bytes.NextUInt64();
                BinaryPrimitives.WriteUInt32LittleEndian(destination[i..], w);
                consumed.Add(w);
            }
        });
        float[] z = new float[count];

        source.AddScaledStandardNormals(z, 1f);

        int offset = 0, word = 0;
        ulong Word(int index) => consumed[word + (2 * index)] | ((ulong)consumed[word + (2 * index) + 1] << 32);
        while (offset < count)
        {
            int remaining = count - offset;
            int pairs = remaining >= 2048 ? 1024 : ((remaining + 15) / 16) * 8;
            for (int p = 0; p < pairs; p++)
            {
                (double r, double theta) = Reference(Word(p), Word(pairs + p));
                // One float rounding of z (6·10⁻⁸ relative) plus the double transform's own error.
                double tolerance = 1.2e-7 * (1 + r);
                if (offset + p < count)
                {
                    Assert.Equal(r * Math.Cos(theta), z[offset + p], tolerance);
                }

                if (offset + pairs + p < count)
                {
                    Assert.Equal(r * Math.Sin(theta), z[offset + pairs + p], tolerance);
                }
            }

            word += 4 * pairs;
            offset += 2 * pairs;
        }

        Assert.Equal(word, consumed.Count);
    }

    [Fact]
    public void Cryptographic_ExtremeBytes_GiveTheDocumentedBounds_AndNoZero()
    {
        float[] zeros = new float[16];
        new CryptographicNoiseSource(destination => destination.Clear()).AddScaledStandardNormals(zeros, 1f);
        float[] ones = new float[16];
        new CryptographicNoiseSource(destination => destination.Fill(0xFF)).AddScaledStandardNormals(ones, 1f);

        // All-zero words: U = 2⁻⁵⁴ (the smallest), θ half a grid step above 0: z₁ = √(108 ln 2) ≈ 8.652, z₂ ≈ 3·10⁻¹⁵.
        Assert.All(zeros[..8], v => Assert.Equal(Math.Sqrt(108 * Math.Log(2)), v, 2e-6));
        Assert.All(zeros[8..], v => Assert.Equal(8.652 * Math.PI / 2 * Math.Pow(2, -53), v, 1e-17));
        // All-one words: U = 1 − 2⁻⁵⁴, which the previous float transform rounded to 1 (r = 0, no noise on either
        // coordinate); now ln U = −2⁻⁵⁴ exactly, r = 2^−26.5, and θ is half a step below 0.
        Assert.All(ones[..8], v => Assert.Equal(Math.Pow(2, -26.5), v, 1e-15));
        Assert.All(ones[8..], v => Assert.True(v < 0f));
        Assert.DoesNotContain(0f, zeros);
        Assert.DoesNotContain(0f, ones);
    }

    [Fact]
    public void Cryptographic_OperatingSystemRng_FiniteBoundedAndFresh()
    {
        CryptographicNoiseSource source = new();

        float[] first = Draw(source, 300_000);
        float[] second = Draw(source, 300_000);

        Assert.All(first, v => Assert.True(float.IsFinite(v) && v != 0f && Math.Abs(v) <= 8.6525f));
        Assert.NotEqual(first, second);
    }

    [Theory]
    [InlineData(-1f)]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void InvalidScale_Throws_LeavesValues(float scale)
    {
        float[] values = [1f, 2f];

        Assert.Throws<ArgumentOutOfRangeException>(() => new SeededNoiseSource(new RandomSource(1)).AddScaledStandardNormals(values, scale));
        Assert.Throws<ArgumentOutOfRangeException>(() => new CryptographicNoiseSource().AddScaledStandardNormals(values, scale));
        Assert.Equal([1f, 2f], values);
    }

    [Fact]
    public void EmptySpan_DrawsNothing()
    {
        int calls = 0;
        CryptographicNoiseSource source = new(_ => calls++);

        source.AddScaledStandardNormals([], 1f);

        Assert.Equal(0, calls);
    }

    [Fact]
    public void DefaultInterfaceMethod_AddsScaledDoubleDraws()
    {
        INoiseSource source = new DoublesOnly();
        float[] values = [.. Enumerable.Repeat(1f, 600)];

        source.AddScaledStandardNormals(values, 2f);

        // DoublesOnly returns 0.5, 1.5, 2.5, … restarting at each call of at most 256 values.
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(1f + (2f * ((i % 256) + 0.5f)), values[i]);
        }
    }

    [Fact]
    public void XoshiroLanes_EachLaneIsXoshiro256StarStar()
    {
        RandomSource seeds = new(17);
        ulong[,] state = new ulong[8, 4];
        RandomSource copy = new(17);
        for (int k = 0; k < 4; k++)
        {
            for (int lane = 0; lane < 8; lane++)
            {
                state[lane, k] = copy.NextUInt64();
            }
        }

        XoshiroLanes lanes = new(seeds);
        ulong[] output = new ulong[8 * 100];
        lanes.Fill(output);

        for (int step = 0; step < 100; step++)
        {
            for (int lane = 0; lane < 8; lane++)
            {
                ulong s0 = state[lane, 0], s1 = state[lane, 1], s2 = state[lane, 2], s3 = state[lane, 3];
                ulong expected = ulong.RotateLeft(s1 * 5, 7) * 9;
                ulong t = s1 << 17;
                s2 ^= s0;
                s3 ^= s1;
                s1 ^= s2;
                s0 ^= s3;
                s2 ^= t;
                s3 = ulong.RotateLeft(s3, 45);
                (state[lane, 0], state[lane, 1], state[lane, 2], state[lane, 3]) = (s0, s1, s2, s3);
                Assert.Equal(expected, output[(8 * step) + lane]);
            }
        }
    }

    [Fact]
    public void Log_And_CosSin_AreAccurateToDouble()
    {
        double maxLog = 0, maxTrig = 0;
        RandomSource random = new(4);
        for (int i = 0; i < 20_000; i++)
        {
            double x = Math.Pow(2, (-60 * random.NextDouble()) + 1);
            double y = BoxMuller.Log(Vector256.Create(x))[0];
            maxLog = Math.Max(maxLog, Math.Abs(y - Math.Log(x)) / Math.Max(Math.Abs(Math.Log(x)), 1e-3));
            ulong a = random.NextUInt64();
            (Vector256<double> c, Vector256<double> s) = BoxMuller.CosSin(Vector256.Create(a));
            double theta = Reference(0, a).Theta;
            maxTrig = Math.Max(maxTrig, Math.Max(Math.Abs(c[0] - Math.Cos(theta)), Math.Abs(s[0] - Math.Sin(theta))));
        }

        Assert.True(maxLog < 1e-15, $"log relative error {maxLog}");
        Assert.True(maxTrig < 3e-15, $"sin/cos error {maxTrig}");
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(1000UL)]
    [InlineData(1UL << 40)]
    public void LogUniform_NearOne_KeepsFullRelativePrecision(ulong fromTop)
    {
        // k = 2⁵³ − 1 − fromTop: U = 1 − x with x = (fromTop + ½)·2⁻⁵³ ≤ 1.3·10⁻⁴, so ln U = −x − x²/2 − x³/3 − x⁴/4 to double precision.
        ulong word = ((1UL << 53) - 1 - fromTop) << 11;
        double x = (fromTop + 0.5) * Math.Pow(2, -53);

        double log = BoxMuller.LogUniform(Vector256.Create(word))[0];

        Assert.True(log < 0);
        Assert.Equal(-(x + (x * x / 2) + (x * x * x / 3) + (x * x * x * x / 4)), log, Math.Abs(log) * 1e-15);
    }

    private sealed class DoublesOnly : INoiseSource
    {
        public void NextStandardNormals(Span<double> destination)
        {
            for (int i = 0; i < destination.Length; i++)
            {
                destination[i] = i + 0.5;
            }
        }
    }
}
