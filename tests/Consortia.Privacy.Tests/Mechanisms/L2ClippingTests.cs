using Consortia.Learning;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Privacy.Tests.Mechanisms;

public sealed class L2ClippingTests
{
    private static double NaiveNorm(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float v in values)
        {
            sum += (double)v * v;
        }

        return Math.Sqrt(sum);
    }

    private static float[] RandomVector(int length, ulong seed, double scale)
    {
        RandomSource random = new(seed);
        float[] values = new float[length];
        for (int i = 0; i < length; i++)
        {
            values[i] = (float)(random.NextGaussian() * scale);
        }

        return values;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(33)]
    [InlineData(10_001)]
    public void Norm_AnyLength_MatchesScalarDoubleSum(int length)
    {
        float[] values = RandomVector(length, 11, 3.0);

        double norm = L2Clipping.Norm(values);

        Assert.Equal(NaiveNorm(values), norm, 1e-12 * Math.Max(1, norm));
    }

    [Fact]
    public void Norm_HugeFloats_DoesNotOverflow()
    {
        float[] values = [3e30f, 4e30f, 0f, 0f, 0f, 0f, 0f, 0f, 0f];

        Assert.Equal(5e30, L2Clipping.Norm(values), 1e30 * 1e-6);
    }

    [Fact]
    public void ClipInPlace_AboveBound_ScalesToBoundAndKeepsDirection()
    {
        float[] values = RandomVector(1000, 5, 1.0);
        float[] original = (float[])values.Clone();
        double before = NaiveNorm(values);

        double returned = L2Clipping.ClipInPlace(values, 2.0);

        Assert.Equal(before, returned, 1e-9 * before);
        double after = NaiveNorm(values);
        Assert.True(after <= 2.0, $"norm after clipping {after:R}");
        Assert.True(after >= 2.0 * (1 - 1e-6), $"norm after clipping {after:R}");
        double factor = values[0] / original[0];
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(original[i] * factor, values[i], Math.Abs(original[i] * factor) * 1e-6);
        }
    }

    [Fact]
    public void ClipInPlace_WithinBound_LeavesValuesBitIdentical()
    {
        float[] values = RandomVector(257, 9, 0.01);
        float[] original = (float[])values.Clone();

        double norm = L2Clipping.ClipInPlace(values, 10.0);

        Assert.Equal(original, values);
        Assert.Equal(NaiveNorm(original), norm, 1e-12);
    }

    [Fact]
    public void ClipInPlace_ZeroVector_StaysZero()
    {
        float[] values = new float[16];

        Assert.Equal(0.0, L2Clipping.ClipInPlace(values, 1.0));
        Assert.All(values, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void ClipInPlace_NonFiniteValue_ThrowsNamingIndex()
    {
        float[] values = [1f, 2f, float.NaN, 3f];

        ArgumentException error = Assert.Throws<ArgumentException>(() => L2Clipping.ClipInPlace(values, 1.0));

        Assert.Contains("index 2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void ClipInPlace_InvalidBound_Throws(double clipNorm)
    {
        float[] values = [1f];

        Assert.Throws<ArgumentOutOfRangeException>(() => L2Clipping.ClipInPlace(values, clipNorm));
    }

    [Fact]
    public void ClipInPlace_DoubleValuesNearOverflow_Clips()
    {
        double[] values = [1e300, -1e300, 1e300];

        double norm = L2Clipping.ClipInPlace(values, 3.0);

        Assert.Equal(Math.Sqrt(3) * 1e300, norm, 1e290);
        Assert.True(L2Clipping.Norm(values) <= 3.0);
        Assert.Equal(Math.Sqrt(3), values[0], 1e-5);
    }

    [Fact]
    public void ClipInPlace_DoubleWithinBound_Unchanged()
    {
        double[] values = [0.3, -0.4];

        Assert.Equal(0.5, L2Clipping.ClipInPlace(values, 1.0), 1e-15);
        Assert.Equal([0.3, -0.4], values);
    }

    [Fact]
    public void ClipInPlace_ParameterVector_ClipsItsValues()
    {
        ParameterVector vector = new(ParameterLayout.Create(("w", [4])), [3f, 4f, 0f, 0f]);

        double norm = L2Clipping.ClipInPlace(vector, 1.0);

        Assert.Equal(5.0, norm, 1e-6);
        Assert.True(vector.L2Norm() <= 1.0f);
    }
}
