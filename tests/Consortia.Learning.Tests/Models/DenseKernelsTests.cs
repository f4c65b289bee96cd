using Consortia.Learning.Models;

namespace Consortia.Learning.Tests.Models;

/// <summary>The tiled dense kernels against naive triple loops in double precision, over sizes that hit every edge path.</summary>
public sealed class DenseKernelsTests
{
    /// <summary>Rows, input width, output width: odd sizes (tile and vector remainders), exact multiples, and one past a column block.</summary>
    public static TheoryData<int, int, int> Sizes => new()
    {
        { 1, 1, 1 },
        { 3, 7, 2 },
        { 4, 8, 3 },
        { 5, 13, 7 },
        { 7, 30, 64 },
        { 9, 65, 5 },
        { 13, 129, 11 },
        { 64, 200, 12 },
    };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Forward_MatchesNaiveProduct(int n, int inWidth, int outWidth)
    {
        RandomSource random = new((ulong)((n * 1000) + inWidth));
        float[] x = Gaussian(random, n * inWidth);
        float[] w = Gaussian(random, outWidth * inWidth);
        float[] o = Gaussian(random, n * outWidth); // overwritten

        DenseKernels.Forward(x, w, o, n, inWidth, outWidth);

        for (int r = 0; r < n; r++)
        {
            for (int j = 0; j < outWidth; j++)
            {
                double expected = 0;
                for (int k = 0; k < inWidth; k++)
                {
                    expected += (double)x[(r * inWidth) + k] * w[(j * inWidth) + k];
                }

                AssertClose(expected, o[(r * outWidth) + j], inWidth);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void AccumulateOuter_WithZerosAndRowScale_MatchesNaiveSum(int n, int inWidth, int outWidth)
    {
        RandomSource random = new((ulong)((n * 7919) + outWidth));
        float[] x = Gaussian(random, n * inWidth);
        float[] e = Gaussian(random, n * outWidth);
        for (int i = 0; i < e.Length; i += 2)
        {
            e[i] = 0f; // inactive ReLU units: the kernel skips them
        }

        float[] scale = [.. Gaussian(random, n).Select(Math.Abs)];
        float[] initial = Gaussian(random, outWidth * inWidth);
        float[] gw = [.. initial];

        DenseKernels.AccumulateOuter(gw, e, x, scale, n, inWidth, outWidth);

        for (int j = 0; j < outWidth; j++)
        {
            for (int k = 0; k < inWidth; k++)
            {
                double expected = initial[(j * inWidth) + k];
                for (int r = 0; r < n; r++)
                {
                    expected += (double)scale[r] * e[(r * outWidth) + j] * x[(r * inWidth) + k];
                }

                AssertClose(expected, gw[(j * inWidth) + k], n);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Backward_MatchesNaiveProduct(int n, int inWidth, int outWidth)
    {
        RandomSource random = new((ulong)((n * 31) + inWidth + outWidth));
        float[] e = Gaussian(random, n * outWidth);
        float[] w = Gaussian(random, outWidth * inWidth);
        float[] p = Gaussian(random, n * inWidth); // overwritten

        DenseKernels.Backward(p, e, w, n, inWidth, outWidth);

        for (int r = 0; r < n; r++)
        {
            for (int k = 0; k < inWidth; k++)
            {
                double expected = 0;
                for (int j = 0; j < outWidth; j++)
                {
                    expected += (double)e[(r * outWidth) + j] * w[(j * inWidth) + k];
                }

                AssertClose(expected, p[(r * inWidth) + k], outWidth);
            }
        }
    }

    [Fact]
    public void Kernels_TwoThreads_AreBitIdenticalToOne()
    {
        // Large enough that the kernels do split the units (above their parallel threshold).
        const int n = 64, inWidth = 300, outWidth = 61;
        RandomSource random = new(5);
        float[] x = Gaussian(random, n * inWidth);
        float[] w = Gaussian(random, outWidth * inWidth);
        float[] e = Gaussian(random, n * outWidth);
        float[] one = new float[n * outWidth], two = new float[n * outWidth];
        float[] g1 = new float[outWidth * inWidth], g2 = new float[outWidth * inWidth];

        DenseKernels.Forward(x, w, one, n, inWidth, outWidth, threads: 1);
        DenseKernels.Forward(x, w, two, n, inWidth, outWidth, threads: 2);
        DenseKernels.AccumulateOuter(g1, e, x, default, n, inWidth, outWidth, threads: 1);
        DenseKernels.AccumulateOuter(g2, e, x, default, n, inWidth, outWidth, threads: 2);

        Assert.Equal(one, two);
        Assert.Equal(g1, g2);
    }

    [Fact]
    public void Forward_BuffersTooSmall_ThrowsNamingSizes()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => DenseKernels.Forward(new float[10], new float[6], new float[4], 2, 5, 3));

        Assert.Contains("n=2, in=5, out=3", error.Message, StringComparison.Ordinal);
    }

    private static float[] Gaussian(RandomSource random, int count)
    {
        float[] values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = (float)random.NextGaussian();
        }

        return values;
    }

    /// <summary>Float sums of <paramref name="terms"/> unit-scale products: the error grows like √terms ulps; allow a margin.</summary>
    private static void AssertClose(double expected, float actual, int terms) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-5 * Math.Sqrt(terms) * Math.Max(1, Math.Sqrt(terms)), $"expected {expected}, got {actual} ({terms} terms)");
}
