using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Consortia.Learning.Models;

/// <summary>
/// Register-blocked kernels for dense layers with PyTorch's weight layout (W is out × in, row-major).
/// Each kernel works on four rows (or units) per pass so that every weight or gradient vector loaded from
/// memory feeds four fused multiply-adds; that, not the arithmetic, bounds the naive one-row-at-a-time loop.
/// </summary>
internal static class DenseKernels
{
    /// <summary>o[r, j] = x[r, :] · w[j, :] for every row r &lt; n and unit j &lt; outWidth.</summary>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> o, int n, int inWidth, int outWidth)
    {
        int r = 0;
        for (; r + 4 <= n; r += 4)
        {
            ReadOnlySpan<float> x0 = x.Slice(r * inWidth, inWidth), x1 = x.Slice((r + 1) * inWidth, inWidth);
            ReadOnlySpan<float> x2 = x.Slice((r + 2) * inWidth, inWidth), x3 = x.Slice((r + 3) * inWidth, inWidth);
            for (int j = 0; j < outWidth; j++)
            {
                Dot4(w.Slice(j * inWidth, inWidth), x0, x1, x2, x3, out float d0, out float d1, out float d2, out float d3);
                o[(r * outWidth) + j] = d0;
                o[((r + 1) * outWidth) + j] = d1;
                o[((r + 2) * outWidth) + j] = d2;
                o[((r + 3) * outWidth) + j] = d3;
            }
        }

        for (; r < n; r++)
        {
            ReadOnlySpan<float> xr = x.Slice(r * inWidth, inWidth);
            for (int j = 0; j < outWidth; j++)
            {
                o[(r * outWidth) + j] = System.Numerics.Tensors.TensorPrimitives.Dot(xr, w.Slice(j * inWidth, inWidth));
            }
        }
    }

    /// <summary>gw[j, :] += Σ_r s_r·e[r, j]·x[r, :] (s_r = 1 when <paramref name="rowScale"/> is empty).</summary>
    public static void AccumulateOuter(Span<float> gw, ReadOnlySpan<float> e, ReadOnlySpan<float> x, ReadOnlySpan<float> rowScale, int n, int inWidth, int outWidth)
    {
        for (int j = 0; j < outWidth; j++)
        {
            Span<float> g = gw.Slice(j * inWidth, inWidth);
            int r = 0;
            for (; r + 4 <= n; r += 4)
            {
                float a0 = Scaled(e, rowScale, r, j, outWidth), a1 = Scaled(e, rowScale, r + 1, j, outWidth);
                float a2 = Scaled(e, rowScale, r + 2, j, outWidth), a3 = Scaled(e, rowScale, r + 3, j, outWidth);
                if (a0 == 0f && a1 == 0f && a2 == 0f && a3 == 0f)
                {
                    continue; // four inactive ReLU units: nothing to add
                }

                Axpy4(g, a0, x.Slice(r * inWidth, inWidth), a1, x.Slice((r + 1) * inWidth, inWidth), a2, x.Slice((r + 2) * inWidth, inWidth), a3, x.Slice((r + 3) * inWidth, inWidth));
            }

            for (; r < n; r++)
            {
                float a = Scaled(e, rowScale, r, j, outWidth);
                if (a != 0f)
                {
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(x.Slice(r * inWidth, inWidth), a, g, g);
                }
            }
        }
    }

    /// <summary>p[r, :] = Σ_j e[r, j]·w[j, :] for every row (p is overwritten).</summary>
    public static void Backward(Span<float> p, ReadOnlySpan<float> e, ReadOnlySpan<float> w, int n, int inWidth, int outWidth)
    {
        p[..(n * inWidth)].Clear();
        for (int r = 0; r < n; r++)
        {
            Span<float> pr = p.Slice(r * inWidth, inWidth);
            ReadOnlySpan<float> er = e.Slice(r * outWidth, outWidth);
            int j = 0;
            for (; j + 4 <= outWidth; j += 4)
            {
                if (er[j] == 0f && er[j + 1] == 0f && er[j + 2] == 0f && er[j + 3] == 0f)
                {
                    continue;
                }

                Axpy4(pr, er[j], w.Slice(j * inWidth, inWidth), er[j + 1], w.Slice((j + 1) * inWidth, inWidth), er[j + 2], w.Slice((j + 2) * inWidth, inWidth), er[j + 3], w.Slice((j + 3) * inWidth, inWidth));
            }

            for (; j < outWidth; j++)
            {
                if (er[j] != 0f)
                {
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(w.Slice(j * inWidth, inWidth), er[j], pr, pr);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Scaled(ReadOnlySpan<float> e, ReadOnlySpan<float> rowScale, int r, int j, int outWidth) =>
        rowScale.IsEmpty ? e[(r * outWidth) + j] : e[(r * outWidth) + j] * rowScale[r];

    /// <summary>Four dot products of one vector with four others, sharing the loads of <paramref name="w"/>.</summary>
    private static void Dot4(ReadOnlySpan<float> w, ReadOnlySpan<float> x0, ReadOnlySpan<float> x1, ReadOnlySpan<float> x2, ReadOnlySpan<float> x3, out float d0, out float d1, out float d2, out float d3)
    {
        int width = Vector<float>.Count;
        int length = w.Length;
        Vector<float> s0 = Vector<float>.Zero, s1 = Vector<float>.Zero, s2 = Vector<float>.Zero, s3 = Vector<float>.Zero;
        ReadOnlySpan<Vector<float>> wv = MemoryMarshal.Cast<float, Vector<float>>(w);
        ReadOnlySpan<Vector<float>> v0 = MemoryMarshal.Cast<float, Vector<float>>(x0), v1 = MemoryMarshal.Cast<float, Vector<float>>(x1);
        ReadOnlySpan<Vector<float>> v2 = MemoryMarshal.Cast<float, Vector<float>>(x2), v3 = MemoryMarshal.Cast<float, Vector<float>>(x3);
        for (int i = 0; i < wv.Length; i++)
        {
            Vector<float> wi = wv[i];
            s0 = Vector.FusedMultiplyAdd(wi, v0[i], s0);
            s1 = Vector.FusedMultiplyAdd(wi, v1[i], s1);
            s2 = Vector.FusedMultiplyAdd(wi, v2[i], s2);
            s3 = Vector.FusedMultiplyAdd(wi, v3[i], s3);
        }

        d0 = Vector.Sum(s0);
        d1 = Vector.Sum(s1);
        d2 = Vector.Sum(s2);
        d3 = Vector.Sum(s3);
        for (int i = wv.Length * width; i < length; i++)
        {
            d0 += w[i] * x0[i];
            d1 += w[i] * x1[i];
            d2 += w[i] * x2[i];
            d3 += w[i] * x3[i];
        }
    }

    /// <summary>y += a0·x0 + a1·x1 + a2·x2 + a3·x3, loading and storing y once.</summary>
    private static void Axpy4(Span<float> y, float a0, ReadOnlySpan<float> x0, float a1, ReadOnlySpan<float> x1, float a2, ReadOnlySpan<float> x2, float a3, ReadOnlySpan<float> x3)
    {
        int width = Vector<float>.Count;
        Span<Vector<float>> yv = MemoryMarshal.Cast<float, Vector<float>>(y);
        ReadOnlySpan<Vector<float>> v0 = MemoryMarshal.Cast<float, Vector<float>>(x0), v1 = MemoryMarshal.Cast<float, Vector<float>>(x1);
        ReadOnlySpan<Vector<float>> v2 = MemoryMarshal.Cast<float, Vector<float>>(x2), v3 = MemoryMarshal.Cast<float, Vector<float>>(x3);
        Vector<float> b0 = new(a0), b1 = new(a1), b2 = new(a2), b3 = new(a3);
        for (int i = 0; i < yv.Length; i++)
        {
            Vector<float> acc = Vector.FusedMultiplyAdd(b0, v0[i], yv[i]);
            acc = Vector.FusedMultiplyAdd(b1, v1[i], acc);
            acc = Vector.FusedMultiplyAdd(b2, v2[i], acc);
            yv[i] = Vector.FusedMultiplyAdd(b3, v3[i], acc);
        }

        for (int i = yv.Length * width; i < y.Length; i++)
        {
            y[i] += (a0 * x0[i]) + (a1 * x1[i]) + (a2 * x2[i]) + (a3 * x3[i]);
        }
    }
}
