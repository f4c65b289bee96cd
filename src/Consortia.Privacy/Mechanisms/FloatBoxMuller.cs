using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Consortia.Privacy.Mechanisms;

/// <summary>Fills a block of 32-bit uniform words.</summary>
/// <param name="destination">The words to fill with independent uniform bits.</param>
internal delegate void UniformWordsFiller(Span<uint> destination);

/// <summary>
/// Gaussian noise added straight into a float vector: the double-precision, vectorised Box–Muller kernel of
/// <see cref="BoxMuller"/>, scaled and rounded to float once per value — the fast path of DP-SGD's noise and of the
/// coordinator's central noise.
/// </summary>
/// <remarks>
/// <para>
/// <b>Input.</b> Each pair of normals uses two 64-bit uniform words (four 32-bit words): a 53-bit radius uniform and
/// a 54-bit angle, as <see cref="BoxMuller"/> documents; no draw is zero and |z| ≤ √(108 ln 2) ≈ 8.652. The
/// previous single-precision transform rounded its radius uniform to 24 bits, so U = 1 (no noise on either
/// coordinate) had probability 2⁻²⁵; the uniforms now keep 53 bits and are never rounded.
/// </para>
/// <para>
/// <b>Output.</b> s·z is computed in double and rounded to float, then added to the value (a float addition).
/// </para>
/// <para>
/// <b>Layout.</b> A block of P pairs (P a multiple of 8) reads 64-bit words [0, P) as radii and [P, 2P) as angles
/// (the 32-bit words in pairs, low half first), and adds the P cosine draws to values [0, P) and the P sine draws to
/// values [P, 2P).
/// </para>
/// <para>
/// Integer and IEEE operations only, so the same words give the same floats on every platform, vectorised or not.
/// </para>
/// </remarks>
internal static class FloatBoxMuller
{
    /// <summary>Pairs per full block: 2048 normals from 16 KiB of uniform words.</summary>
    public const int BlockPairs = 1024;

    /// <summary>32-bit uniform words consumed per pair of normals (two 64-bit words).</summary>
    public const int WordsPerPair = 4;

    /// <summary>
    /// The number of uniform words a scratch buffer holds for <see cref="AddScaled"/>: four blocks (64 KiB), so the
    /// generator is called with large requests (the operating system's CSPRNG has a per-call cost of microseconds).
    /// </summary>
    public const int BufferWords = 4 * WordsPerPair * BlockPairs;

    /// <summary>The largest |z| the transform can return (see <see cref="BoxMuller.MaxAbs"/>).</summary>
    public static double MaxAbs => BoxMuller.MaxAbs;

    private const int BlockValues = 2 * BlockPairs;
    private const int BlockWords = WordsPerPair * BlockPairs;

    /// <summary>Adds <paramref name="scale"/>·z to every value, z independent N(0, 1) draws.</summary>
    /// <param name="values">The values, noised in place.</param>
    /// <param name="scale">The standard deviation s.</param>
    /// <param name="fill">The uniform bits, requested for as many blocks as the scratch holds at a time.</param>
    /// <param name="words">Scratch for the words, at least <see cref="BufferWords"/> long.</param>
    /// <returns>The length of the prefix of <paramref name="words"/> written, which the caller clears if secret.</returns>
    /// <remarks>
    /// Full blocks of 2048 values, then one smaller block for the tail (its pairs rounded up to a multiple of 8,
    /// computed into zeroed scratch of which a prefix is added). The words a call consumes depend only on the length.
    /// </remarks>
    public static int AddScaled(Span<float> values, float scale, UniformWordsFiller fill, Span<uint> words)
    {
        int used = 0;
        Span<float> tail = stackalloc float[BlockValues];
        int capacityBlocks = words.Length / BlockWords;
        while (!values.IsEmpty)
        {
            int fullBlocks = values.Length / BlockValues;
            int tailPairs = TailPairs(values.Length % BlockValues);
            int take, covered;
            if (fullBlocks < capacityBlocks || (fullBlocks == capacityBlocks && tailPairs == 0))
            {
                take = (fullBlocks * BlockWords) + (WordsPerPair * tailPairs);
                covered = values.Length;
            }
            else
            {
                take = capacityBlocks * BlockWords;
                covered = capacityBlocks * BlockValues;
            }

            Span<uint> w = words[..take];
            fill(w);
            used = Math.Max(used, take);
            Span<float> v = values[..covered];
            while (v.Length >= BlockValues)
            {
                Transform(w[..BlockWords], v[..BlockValues], scale);
                w = w[BlockWords..];
                v = v[BlockValues..];
            }

            if (!v.IsEmpty)
            {
                int pairs = TailPairs(v.Length);
                Span<float> scratch = tail[..(2 * pairs)];
                scratch.Clear();
                Transform(w[..(WordsPerPair * pairs)], scratch, scale);
                TensorPrimitives.Add(v, scratch[..v.Length], v);
                scratch.Clear();
            }

            values = values[covered..];
        }

        return used;
    }

    private static int TailPairs(int values) => ((values + 15) / 16) * 8;

    /// <summary>Transforms 4P words into 2P normals added, times <paramref name="scale"/>, to <paramref name="values"/>.</summary>
    /// <param name="words">4P uniform 32-bit words (2P 64-bit words), P a multiple of 8.</param>
    /// <param name="values">2P values.</param>
    /// <param name="scale">The standard deviation.</param>
    public static void Transform(ReadOnlySpan<uint> words, Span<float> values, float scale)
    {
        int pairs = values.Length / 2;
        if (pairs % 8 != 0 || values.Length != 2 * pairs || words.Length < WordsPerPair * pairs)
        {
            throw new ArgumentException("A block holds 2P values and 4P words, P a multiple of 8.", nameof(values));
        }

        ref ulong w = ref MemoryMarshal.GetReference(MemoryMarshal.Cast<uint, ulong>(words));
        ref float v = ref MemoryMarshal.GetReference(values);
        Vector256<double> s = Vector256.Create((double)scale);
        for (nuint p = 0; p < (nuint)pairs; p += 8)
        {
            (Vector256<double> cos0, Vector256<double> sin0) = BoxMuller.Normals(Vector256.LoadUnsafe(ref w, p), Vector256.LoadUnsafe(ref w, (nuint)pairs + p));
            (Vector256<double> cos1, Vector256<double> sin1) = BoxMuller.Normals(Vector256.LoadUnsafe(ref w, p + 4), Vector256.LoadUnsafe(ref w, (nuint)pairs + p + 4));
            (Vector256.LoadUnsafe(ref v, p) + Vector256.Narrow(cos0 * s, cos1 * s)).StoreUnsafe(ref v, p);
            (Vector256.LoadUnsafe(ref v, (nuint)pairs + p) + Vector256.Narrow(sin0 * s, sin1 * s)).StoreUnsafe(ref v, (nuint)pairs + p);
        }
    }
}
