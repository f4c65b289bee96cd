using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Consortia.Learning.Models;

/// <summary>
/// Register-tiled, cache-blocked kernels for dense layers with PyTorch's weight layout (W is out × in, row-major).
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Forward"/> computes a tile of 4 rows × 3 units per pass with twelve independent 256-bit accumulators:
/// each k-step loads 4 input and 3 weight vectors for 12 fused multiply-adds, and twelve chains hide the FMA latency
/// (the previous one-tile-of-four kernel had four chains and ran at about one FMA per cycle). Units are the outer loop,
/// so a tile's three weight rows stay in L1 while the batch's rows (at most 256 KiB for a batch of 64 × 1,000) stream
/// from L2.
/// </para>
/// <para>
/// <see cref="AccumulateOuter"/> first lists, for each unit, the rows whose error is not zero (behind a ReLU about half
/// are zero, and they are skipped exactly, not approximately), then adds Σ e·x over those rows in blocks of 64 columns
/// held in eight registers, so the batch's block of x (64 rows × 256 bytes) stays in L1 across units.
/// </para>
/// <para>
/// With <c>threads</c> &gt; 1 the units are split into contiguous ranges, one per thread; each output value is computed
/// by the same code in the same order whatever the thread count, so results are bit-identical to one thread.
/// </para>
/// </remarks>
internal static class DenseKernels
{
    /// <summary>Columns per block of the weight-gradient kernel: eight 256-bit registers.</summary>
    private const int ColumnBlock = 64;

    /// <summary>Below this many multiply-adds per call a second thread costs more than it saves.</summary>
    private const long ParallelThreshold = 1L << 19;

    /// <summary>o[r, j] = x[r, :] · w[j, :] for every row r &lt; n and unit j &lt; outWidth.</summary>
    /// <param name="x">Inputs, n × inWidth.</param>
    /// <param name="w">Weights, outWidth × inWidth.</param>
    /// <param name="o">Outputs, n × outWidth (overwritten).</param>
    /// <param name="n">Rows.</param>
    /// <param name="inWidth">Input width.</param>
    /// <param name="outWidth">Output width.</param>
    /// <param name="threads">Threads to use (1: the caller's only).</param>
    public static void Forward(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> o, int n, int inWidth, int outWidth, int threads = 1)
    {
        CheckSizes(x.Length, w.Length, o.Length, n, inWidth, outWidth);
        int parts = Parts(threads, (long)n * inWidth * outWidth, outWidth, 3);
        if (parts == 1)
        {
            ForwardUnits(x, w, o, n, inWidth, outWidth, 0, outWidth);
            return;
        }

        // Spans cannot enter the workers' lambdas: pin the caller's buffers for the call and hand the workers addresses.
        unsafe
        {
            fixed (float* px = x, pw = w, po = o)
            {
                nint ax = (nint)px, aw = (nint)pw, ao = (nint)po;
                int xl = x.Length, wl = w.Length, ol = o.Length;
                int chunk = Chunk(outWidth, parts, 3);
                Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
                {
                    int start = p * chunk;
                    ForwardUnits(new ReadOnlySpan<float>((float*)ax, xl), new ReadOnlySpan<float>((float*)aw, wl), new Span<float>((float*)ao, ol), n, inWidth, outWidth, start, Math.Min(outWidth, start + chunk));
                });
            }
        }
    }

    /// <summary>gw[j, :] += Σ_r s_r·e[r, j]·x[r, :] (s_r = 1 when <paramref name="rowScale"/> is empty).</summary>
    /// <param name="gw">Weight gradient, outWidth × inWidth (accumulated into).</param>
    /// <param name="e">Errors, n × outWidth.</param>
    /// <param name="x">Inputs, n × inWidth.</param>
    /// <param name="rowScale">Per-row factors (DP-SGD clipping), or empty for 1.</param>
    /// <param name="n">Rows.</param>
    /// <param name="inWidth">Input width.</param>
    /// <param name="outWidth">Output width.</param>
    /// <param name="threads">Threads to use (1: the caller's only).</param>
    public static void AccumulateOuter(Span<float> gw, ReadOnlySpan<float> e, ReadOnlySpan<float> x, ReadOnlySpan<float> rowScale, int n, int inWidth, int outWidth, int threads = 1)
    {
        CheckSizes(x.Length, gw.Length, e.Length, n, inWidth, outWidth);
        if (!rowScale.IsEmpty && rowScale.Length < n)
        {
            throw new ArgumentException($"rowScale: expected at least {n} values, got {rowScale.Length}.", nameof(rowScale));
        }

        // Per unit, the rows with a non-zero (scaled) error and their coefficients: unit j's list starts at j·n.
        int[] rows = ArrayPool<int>.Shared.Rent(Math.Max(1, outWidth * n));
        float[] coefficients = ArrayPool<float>.Shared.Rent(Math.Max(1, outWidth * n));
        int[] counts = ArrayPool<int>.Shared.Rent(Math.Max(1, outWidth));
        try
        {
            long active = 0;
            for (int j = 0; j < outWidth; j++)
            {
                int count = 0;
                for (int r = 0; r < n; r++)
                {
                    float a = rowScale.IsEmpty ? e[(r * outWidth) + j] : e[(r * outWidth) + j] * rowScale[r];
                    if (a != 0f)
                    {
                        rows[(j * n) + count] = r;
                        coefficients[(j * n) + count] = a;
                        count++;
                    }
                }

                counts[j] = count;
                active += count;
            }

            int parts = Parts(threads, active * inWidth, outWidth, 1);
            if (parts == 1)
            {
                AccumulateUnits(gw, x, rows, coefficients, counts, n, inWidth, 0, outWidth);
                return;
            }

            unsafe
            {
                fixed (float* px = x, pg = gw)
                {
                    nint ax = (nint)px, ag = (nint)pg;
                    int xl = x.Length, gl = gw.Length;
                    int chunk = Chunk(outWidth, parts, 1);
                    Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
                    {
                        int start = p * chunk;
                        AccumulateUnits(new Span<float>((float*)ag, gl), new ReadOnlySpan<float>((float*)ax, xl), rows, coefficients, counts, n, inWidth, start, Math.Min(outWidth, start + chunk));
                    });
                }
            }
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rows);
            ArrayPool<float>.Shared.Return(coefficients);
            ArrayPool<int>.Shared.Return(counts);
        }
    }

    /// <summary>p[r, :] = Σ_j e[r, j]·w[j, :] for every row (p is overwritten).</summary>
    /// <param name="p">Propagated errors, n × inWidth (overwritten).</param>
    /// <param name="e">Errors, n × outWidth.</param>
    /// <param name="w">Weights, outWidth × inWidth.</param>
    /// <param name="n">Rows.</param>
    /// <param name="inWidth">Input width.</param>
    /// <param name="outWidth">Output width.</param>
    public static void Backward(Span<float> p, ReadOnlySpan<float> e, ReadOnlySpan<float> w, int n, int inWidth, int outWidth)
    {
        CheckSizes(p.Length, w.Length, e.Length, n, inWidth, outWidth);
        p[..(n * inWidth)].Clear();
        for (int r = 0; r < n; r++)
        {
            Span<float> pr = p.Slice(r * inWidth, inWidth);
            ReadOnlySpan<float> er = e.Slice(r * outWidth, outWidth);
            for (int j = 0; j < outWidth; j++)
            {
                if (er[j] != 0f)
                {
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(w.Slice(j * inWidth, inWidth), er[j], pr, pr);
                }
            }
        }
    }

    private static void CheckSizes(int inputLength, int weightLength, int outputLength, int n, int inWidth, int outWidth)
    {
        if (n < 0 || inWidth < 1 || outWidth < 1 || inputLength < (long)n * inWidth || weightLength < (long)inWidth * outWidth || outputLength < (long)n * outWidth)
        {
            throw new ArgumentException($"Dense kernel sizes do not fit: n={n}, in={inWidth}, out={outWidth} against buffers of {inputLength}, {weightLength}, {outputLength} values.");
        }
    }

    /// <summary>How many threads are worth it: at most one per <paramref name="granule"/> units, none for small work.</summary>
    private static int Parts(int threads, long work, int units, int granule) =>
        threads <= 1 || work < ParallelThreshold ? 1 : Math.Max(1, Math.Min(threads, units / granule));

    private static int Chunk(int units, int parts, int granule)
    {
        int chunk = (units + parts - 1) / parts;
        return (chunk + granule - 1) / granule * granule;
    }

    /// <summary>Forward for units [<paramref name="from"/>, <paramref name="to"/>): 4 × 3 tiles, then the edges.</summary>
    private static void ForwardUnits(ReadOnlySpan<float> x, ReadOnlySpan<float> w, Span<float> o, int n, int inWidth, int outWidth, int from, int to)
    {
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float w0 = ref MemoryMarshal.GetReference(w);
        int j = from;
        for (; j + 3 <= to; j += 3)
        {
            ref float wj = ref Unsafe.Add(ref w0, j * inWidth);
            int r = 0;
            for (; r + 4 <= n; r += 4)
            {
                Tile4x3(ref Unsafe.Add(ref x0, r * inWidth), ref wj, inWidth, o, (r * outWidth) + j, outWidth);
            }

            for (; r < n; r++)
            {
                ReadOnlySpan<float> xr = x.Slice(r * inWidth, inWidth);
                o[(r * outWidth) + j] = Dot(xr, w.Slice(j * inWidth, inWidth));
                o[(r * outWidth) + j + 1] = Dot(xr, w.Slice((j + 1) * inWidth, inWidth));
                o[(r * outWidth) + j + 2] = Dot(xr, w.Slice((j + 2) * inWidth, inWidth));
            }
        }

        for (; j < to; j++)
        {
            ReadOnlySpan<float> wj = w.Slice(j * inWidth, inWidth);
            for (int r = 0; r < n; r++)
            {
                o[(r * outWidth) + j] = Dot(x.Slice(r * inWidth, inWidth), wj);
            }
        }
    }

    /// <summary>Twelve dot products: rows r..r+3 of x (stride <paramref name="width"/>) with units j..j+2 of w.</summary>
    private static void Tile4x3(ref float x, ref float w, int width, Span<float> o, int at, int stride)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default;
        nuint k = 0;
        nuint end = (nuint)(width - (width % Vector256<float>.Count));
        nuint s = (nuint)width;
        for (; k < end; k += (nuint)Vector256<float>.Count)
        {
            Vector256<float> w0 = Vector256.LoadUnsafe(ref w, k);
            Vector256<float> w1 = Vector256.LoadUnsafe(ref w, s + k);
            Vector256<float> w2 = Vector256.LoadUnsafe(ref w, (2 * s) + k);
            Vector256<float> xv = Vector256.LoadUnsafe(ref x, k);
            a00 = Vector256.FusedMultiplyAdd(xv, w0, a00);
            a01 = Vector256.FusedMultiplyAdd(xv, w1, a01);
            a02 = Vector256.FusedMultiplyAdd(xv, w2, a02);
            xv = Vector256.LoadUnsafe(ref x, s + k);
            a10 = Vector256.FusedMultiplyAdd(xv, w0, a10);
            a11 = Vector256.FusedMultiplyAdd(xv, w1, a11);
            a12 = Vector256.FusedMultiplyAdd(xv, w2, a12);
            xv = Vector256.LoadUnsafe(ref x, (2 * s) + k);
            a20 = Vector256.FusedMultiplyAdd(xv, w0, a20);
            a21 = Vector256.FusedMultiplyAdd(xv, w1, a21);
            a22 = Vector256.FusedMultiplyAdd(xv, w2, a22);
            xv = Vector256.LoadUnsafe(ref x, (3 * s) + k);
            a30 = Vector256.FusedMultiplyAdd(xv, w0, a30);
            a31 = Vector256.FusedMultiplyAdd(xv, w1, a31);
            a32 = Vector256.FusedMultiplyAdd(xv, w2, a32);
        }

        Span<float> d = stackalloc float[12];
        d[0] = Vector256.Sum(a00);
        d[1] = Vector256.Sum(a01);
        d[2] = Vector256.Sum(a02);
        d[3] = Vector256.Sum(a10);
        d[4] = Vector256.Sum(a11);
        d[5] = Vector256.Sum(a12);
        d[6] = Vector256.Sum(a20);
        d[7] = Vector256.Sum(a21);
        d[8] = Vector256.Sum(a22);
        d[9] = Vector256.Sum(a30);
        d[10] = Vector256.Sum(a31);
        d[11] = Vector256.Sum(a32);
        for (; k < s; k++)
        {
            for (nuint r = 0; r < 4; r++)
            {
                float xk = Unsafe.Add(ref x, (r * s) + k);
                for (nuint u = 0; u < 3; u++)
                {
                    d[(int)((r * 3) + u)] += xk * Unsafe.Add(ref w, (u * s) + k);
                }
            }
        }

        for (int r = 0; r < 4; r++)
        {
            o[at + (r * stride)] = d[r * 3];
            o[at + (r * stride) + 1] = d[(r * 3) + 1];
            o[at + (r * stride) + 2] = d[(r * 3) + 2];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);

    /// <summary>The weight gradient of units [<paramref name="from"/>, <paramref name="to"/>) over their active rows.</summary>
    private static void AccumulateUnits(Span<float> gw, ReadOnlySpan<float> x, int[] rows, float[] coefficients, int[] counts, int n, int inWidth, int from, int to)
    {
        ref float x0 = ref MemoryMarshal.GetReference(x);
        ref float g0 = ref MemoryMarshal.GetReference(gw);
        int column = 0;
        for (; column + ColumnBlock <= inWidth; column += ColumnBlock)
        {
            for (int j = from; j < to; j++)
            {
                Block64(ref Unsafe.Add(ref g0, (j * inWidth) + column), ref Unsafe.Add(ref x0, column), inWidth, rows.AsSpan(j * n, counts[j]), coefficients.AsSpan(j * n, counts[j]));
            }
        }

        if (column < inWidth)
        {
            for (int j = from; j < to; j++)
            {
                Narrow(ref Unsafe.Add(ref g0, (j * inWidth) + column), ref Unsafe.Add(ref x0, column), inWidth, inWidth - column, rows.AsSpan(j * n, counts[j]), coefficients.AsSpan(j * n, counts[j]));
            }
        }
    }

    /// <summary>g[0..64) += Σ_i c_i·x[row_i, 0..64), the 64 sums held in eight registers.</summary>
    private static void Block64(ref float g, ref float x, int stride, ReadOnlySpan<int> rows, ReadOnlySpan<float> coefficients)
    {
        if (rows.IsEmpty)
        {
            return;
        }

        Vector256<float> g0 = Vector256.LoadUnsafe(ref g, 0), g1 = Vector256.LoadUnsafe(ref g, 8);
        Vector256<float> g2 = Vector256.LoadUnsafe(ref g, 16), g3 = Vector256.LoadUnsafe(ref g, 24);
        Vector256<float> g4 = Vector256.LoadUnsafe(ref g, 32), g5 = Vector256.LoadUnsafe(ref g, 40);
        Vector256<float> g6 = Vector256.LoadUnsafe(ref g, 48), g7 = Vector256.LoadUnsafe(ref g, 56);
        for (int i = 0; i < rows.Length; i++)
        {
            ref float xr = ref Unsafe.Add(ref x, rows[i] * stride);
            Vector256<float> c = Vector256.Create(coefficients[i]);
            g0 = Vector256.FusedMultiplyAdd(c, Vector256.LoadUnsafe(ref xr, 0), g0);
            g1 = Vector256.FusedMultiplyAdd(c, Vector256.LoadUnsafe(ref xr, 8), g1);
            g2 = Vector256.FusedMultiplyAdd(c, Vector256.LoadUnsafe(ref xr, 16), g2);
            g3 = Vector256.FusedMultiplyAdd(c, Vector256.LoadUnsafe(ref xr, 24), g3);
            g4 = Vector256.FusedMultiplyAdd(c, Vector256.LoadUnsafe(ref xr, 32), g4);
            g5 = Vector256.FusedMultiplyAdd(c, Vector256.LoadUnsafe(ref xr, 40), g5);
            g6 = Vector256.FusedMultiplyAdd(c, Vector256.LoadUnsafe(ref xr, 48), g6);
            g7 = Vector256.FusedMultiplyAdd(c, Vector256.LoadUnsafe(ref xr, 56), g7);
        }

        g0.StoreUnsafe(ref g, 0);
        g1.StoreUnsafe(ref g, 8);
        g2.StoreUnsafe(ref g, 16);
        g3.StoreUnsafe(ref g, 24);
        g4.StoreUnsafe(ref g, 32);
        g5.StoreUnsafe(ref g, 40);
        g6.StoreUnsafe(ref g, 48);
        g7.StoreUnsafe(ref g, 56);
    }

    /// <summary>g[0..width) += Σ_i c_i·x[row_i, 0..width) for a block narrower than 64 columns.</summary>
    private static void Narrow(ref float g, ref float x, int stride, int width, ReadOnlySpan<int> rows, ReadOnlySpan<float> coefficients)
    {
        int vectors = width / Vector256<float>.Count;
        for (int v = 0; v < vectors; v++)
        {
            nuint at = (nuint)(v * Vector256<float>.Count);
            Vector256<float> acc = Vector256.LoadUnsafe(ref g, at);
            for (int i = 0; i < rows.Length; i++)
            {
                acc = Vector256.FusedMultiplyAdd(Vector256.Create(coefficients[i]), Vector256.LoadUnsafe(ref Unsafe.Add(ref x, rows[i] * stride), at), acc);
            }

            acc.StoreUnsafe(ref g, at);
        }

        // The last few columns: rows outer so that the columns' sums proceed side by side.
        int first = vectors * Vector256<float>.Count;
        for (int i = 0; i < rows.Length; i++)
        {
            ref float xr = ref Unsafe.Add(ref x, rows[i] * stride);
            float c = coefficients[i];
            for (int k = first; k < width; k++)
            {
                Unsafe.Add(ref g, k) = MathF.FusedMultiplyAdd(c, Unsafe.Add(ref xr, k), Unsafe.Add(ref g, k));
            }
        }
    }
}
