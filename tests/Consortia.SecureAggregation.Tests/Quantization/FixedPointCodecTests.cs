using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Quantization;

using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Consortia.SecureAggregation.Tests.Quantization;

public sealed class FixedPointCodecTests
{
    [Theory]
    [InlineData(4, 28)]
    [InlineData(16, 26)]
    [InlineData(100, 24)]
    [InlineData(1000, 21)]
    [InlineData(1, 30)]
    public void CoordinateBits_ReferenceExamples_MatchHeadroomRule(int summands, int bits)
    {
        FixedPointCodec codec = new(new FixedPointOptions { ClipRange = 1.0, MaxSummands = summands });

        Assert.Equal(bits, codec.CoordinateBits);
        Assert.Equal((Math.Pow(2, bits - 1) - 1) / 1.0, codec.Scale);
    }

    [Theory]
    [InlineData(8, 100, "MaxSummands")]
    [InlineData(33, 4, "RingBits")]
    [InlineData(1, 1, "RingBits")]
    [InlineData(32, 0, "MaxSummands")]
    public void Validate_OverflowingOrInvalidConfiguration_IsRefusedNamingTheField(int ringBits, int summands, string field)
    {
        FixedPointOptions options = new() { ClipRange = 1.0, MaxSummands = summands, RingBits = ringBits };

        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(field, error.ParamName);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Validate_BadClipRange_IsRefused(double clip)
    {
        FixedPointOptions options = new() { ClipRange = clip, MaxSummands = 3 };

        Assert.Equal("ClipRange", Assert.Throws<ArgumentException>(options.Validate).ParamName);
    }

    public static Arbitrary<CodecCase> Cases() =>
        (from summands in Gen.Choose(1, 200)
         from used in Gen.Choose(1, summands)
         from ringBits in Gen.Elements(12, 16, 20, 24, 32)
         from clipMilli in Gen.Choose(1, 100_000)
         from length in Gen.Choose(1, 64)
         from seed in Gen.Choose(0, int.MaxValue)
         select new CodecCase(summands, used, ringBits, clipMilli / 1000.0, length, seed))
        .Where(c => c.RingBits - 1 - (int)Math.Ceiling(Math.Log2(c.Summands + 1)) >= 2)
        .ToArbitrary();

    [Property(MaxTest = 100, Arbitrary = [typeof(FixedPointCodecTests)])]
    public void Quantize_OneVector_EveryCoordinateWithinOneStepOfClippedValue(CodecCase sample)
    {
        FixedPointCodec codec = sample.CreateCodec();
        float[] values = sample.Values(0);
        uint[] encoded = new uint[values.Length];
        double[] decoded = new double[values.Length];
        using DeterministicSecureRandom random = new((ulong)sample.Seed);

        codec.Quantize(values, encoded, random);
        codec.DecodeSum(encoded, decoded);

        for (int i = 0; i < values.Length; i++)
        {
            double clipped = Math.Clamp(values[i], -sample.Clip, sample.Clip);
            Assert.True(Math.Abs(decoded[i] - clipped) < codec.Step, $"coordinate {i}: {decoded[i]} vs {clipped}, step {codec.Step}");
        }
    }

    [Property(MaxTest = 100, Arbitrary = [typeof(FixedPointCodecTests)])]
    public void DecodeSum_UpToNVectorsWithWrapAround_ErrorAtMostNSteps(CodecCase sample)
    {
        FixedPointCodec codec = sample.CreateCodec();
        uint mask = sample.RingBits == 32 ? uint.MaxValue : (1u << sample.RingBits) - 1;
        uint[] sum = new uint[sample.Length];
        double[] expected = new double[sample.Length];
        using DeterministicSecureRandom random = new((ulong)sample.Seed);
        uint[] encoded = new uint[sample.Length];
        for (int u = 0; u < sample.Used; u++)
        {
            float[] values = sample.Values(u);
            codec.Quantize(values, encoded, random);
            for (int i = 0; i < sample.Length; i++)
            {
                Assert.Equal(encoded[i], encoded[i] & mask);
                sum[i] = unchecked(sum[i] + encoded[i]);
                expected[i] += Math.Clamp(values[i], -sample.Clip, sample.Clip);
            }
        }

        double[] decoded = new double[sample.Length];
        codec.DecodeSum(sum, decoded);

        for (int i = 0; i < sample.Length; i++)
        {
            Assert.True(Math.Abs(decoded[i] - expected[i]) <= sample.Used * codec.Step, $"coordinate {i}: {decoded[i]} vs {expected[i]}");
            Assert.True(sample.Used * codec.Step <= sample.Summands * codec.Step);
        }
    }

    [Fact]
    public void DecodeSum_AllAtNegativeAndPositiveClip_DecodesExactlyWithoutWrapping()
    {
        const int n = 100;
        FixedPointCodec codec = new(new FixedPointOptions { ClipRange = 2.0, MaxSummands = n });
        uint[] low = new uint[2], high = new uint[2];
        codec.Quantize([-5f, -2f], low, new DeterministicSecureRandom(1));
        codec.Quantize([2f, 7f], high, new DeterministicSecureRandom(2));
        uint lowSum = 0, highSum = 0;
        for (int u = 0; u < n; u++)
        {
            lowSum = unchecked(lowSum + low[0]);
            highSum = unchecked(highSum + high[0]);
        }

        long limit = (1L << (codec.CoordinateBits - 1)) - 1;

        Assert.Equal(-n * limit, codec.DecodeInteger(lowSum));
        Assert.Equal(n * limit, codec.DecodeInteger(highSum));
        Assert.True(n * limit < (1L << 31));
    }

    [Fact]
    public void Quantize_ValueBetweenSteps_RoundingIsUnbiased()
    {
        FixedPointCodec codec = new(new FixedPointOptions { ClipRange = 1.0, MaxSummands = 1000 });
        float value = (float)(codec.Step * 0.3137);
        const int trials = 100_000;
        float[] values = [.. Enumerable.Repeat(value, trials)];
        uint[] encoded = new uint[trials];
        using DeterministicSecureRandom random = new(77);

        codec.Quantize(values, encoded, random);

        double[] errors = [.. encoded.Select(e => (codec.DecodeInteger(e) * codec.Step) - value)];
        double mean = errors.Average();
        double standardError = Math.Sqrt(errors.Sum(e => (e - mean) * (e - mean)) / (trials - 1) / trials);
        Assert.True(Math.Abs(mean) < 4 * standardError, $"mean error {mean} vs standard error {standardError}");
        Assert.InRange(encoded.Count(e => e == 1) / (double)trials, 0.30, 0.33);
    }

    [Fact]
    public void Quantize_NaN_IsRejectedNamingTheIndex()
    {
        FixedPointCodec codec = new(new FixedPointOptions { ClipRange = 1.0, MaxSummands = 3 });

        ArgumentException error = Assert.Throws<ArgumentException>(() => codec.Quantize([0f, float.NaN], new uint[2], SystemSecureRandom.Instance));

        Assert.Contains("values[1]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Quantize_SameSeed_IsDeterministic()
    {
        FixedPointCodec codec = new(new FixedPointOptions { ClipRange = 1.0, MaxSummands = 10 });
        float[] values = [.. Enumerable.Range(0, 10_000).Select(i => MathF.Sin(i))];
        uint[] first = new uint[values.Length], second = new uint[values.Length];

        codec.Quantize(values, first, new DeterministicSecureRandom(5));
        codec.Quantize(values, second, new DeterministicSecureRandom(5));

        Assert.Equal(first, second);
    }

    /// <summary>One generated configuration of the codec property tests.</summary>
    public sealed record CodecCase(int Summands, int Used, int RingBits, double Clip, int Length, int Seed)
    {
        public FixedPointCodec CreateCodec() => new(new FixedPointOptions { ClipRange = Clip, MaxSummands = Summands, RingBits = RingBits });

        public float[] Values(int vector)
        {
            Random random = new(unchecked((Seed * 7919) + vector));
            return [.. Enumerable.Range(0, Length).Select(_ => (float)((random.NextDouble() * 3 * Clip) - (1.5 * Clip)))];
        }
    }
}
