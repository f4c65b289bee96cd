using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Consortia.Privacy.Mechanisms;

/// <summary>Fills a block of 32-bit uniform words.</summary>
/// <param name="destination">The words to fill with independent uniform bits.</param>
internal delegate void UniformWordsFiller(Span<uint> destination);

/// <summary>
/// The Box–Muller transform in single precision, vectorised (<see cref="Vector256{T}"/>), adding s·z straight into a
/// float vector: the fast path of DP-SGD's noise (≈ 10⁸–10⁹ normals per second per core).
/// </summary>
/// <remarks>
/// <para>
/// <b>Input.</b> Each pair of normals uses three 32-bit uniform words (h, l, a). The radius uniform is
/// U = (⌊h/2⌋·2³¹ + ⌊l/2⌋ + ½)·2⁻⁶² — a 62-bit uniform in [2⁻⁶³, 1 − 2⁻⁶³] — evaluated in float, i.e. rounded to 24
/// significant bits (the rounding never reaches 0: the smallest value is exactly 2⁻⁶³). The angle is θ = 2π·a/2³²
/// (32 bits; the residual inside its quadrant keeps 24).
/// </para>
/// <para>
/// <b>Output.</b> r = √(−2 ln U), z₁ = r·cos θ, z₂ = r·sin θ, all in float. Hence |z| ≤ √(126 ln 2) ≈ 9.345, a tail
/// truncated at probability ≈ 10⁻²⁰ per draw (the 53-bit double transform of <see cref="BoxMuller"/> stops at 8.57).
/// Float rounding of U near 1 (spacing 2⁻²⁴) costs absolute precision at small radii — an error of about 3·10⁻⁸/r
/// in r, and no value in (0, 3.5·10⁻⁴), a probability of 6·10⁻⁸ moved to r = 0 or beyond; elsewhere z carries float
/// precision (relative error of the log and of sin/cos below 2·10⁻⁷). ln uses exponent extraction and the atanh series on [√½, √2); sin and cos are Taylor polynomials on
/// [−π/4, π/4] after an exact quadrant reduction from the angle's top bits.
/// </para>
/// <para>
/// <b>Layout.</b> A block of P pairs (P a multiple of 8) reads words [0, P) as h, [P, 2P) as l and [2P, 3P) as a, and
/// adds the P cosine draws to values [0, P) and the P sine draws to values [P, 2P).
/// </para>
/// <para>
/// Integer and IEEE operations only (FMA, division, square root), so the same words give the same floats on every
/// platform, vectorised or not.
/// </para>
/// </remarks>
internal static class FloatBoxMuller
{
    /// <summary>Pairs per full block: 2048 normals from 12 KiB of uniform words.</summary>
    public const int BlockPairs = 1024;

    /// <summary>Uniform words consumed per pair of normals.</summary>
    public const int WordsPerPair = 3;

    /// <summary>
    /// The number of uniform words a scratch buffer holds for <see cref="AddScaled"/>: four blocks (48 KiB), so the
    /// generator is called with large requests (the operating system's CSPRNG has a per-call cost of microseconds).
    /// </summary>
    public const int BufferWords = 4 * WordsPerPair * BlockPairs;

    /// <summary>The largest |z| the transform can return: √(−2 ln 2⁻⁶³) = √(126 ln 2).</summary>
    public static readonly double MaxAbs = Math.Sqrt(126 * Math.Log(2));

    private const int BlockValues = 2 * BlockPairs;
    private const int BlockWords = WordsPerPair * BlockPairs;
    private const float Ln2 = 0.693147180559945309f;

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

    /// <summary>Transforms 3P words into 2P normals added, times <paramref name="scale"/>, to <paramref name="values"/>.</summary>
    /// <param name="words">3P uniform words, P a multiple of 8.</param>
    /// <param name="values">2P values.</param>
    /// <param name="scale">The standard deviation.</param>
    public static void Transform(ReadOnlySpan<uint> words, Span<float> values, float scale)
    {
        int pairs = values.Length / 2;
        if (pairs % 8 != 0 || values.Length != 2 * pairs || words.Length < WordsPerPair * pairs)
        {
            throw new ArgumentException("A block holds 2P values and 3P words, P a multiple of 8.", nameof(values));
        }

        ref uint w = ref MemoryMarshal.GetReference(words);
        ref float v = ref MemoryMarshal.GetReference(values);
        Vector256<float> s = Vector256.Create(scale);
        for (nuint p = 0; p < (nuint)pairs; p += 8)
        {
            Vector256<uint> high = Vector256.LoadUnsafe(ref w, p);
            Vector256<uint> low = Vector256.LoadUnsafe(ref w, (nuint)pairs + p);
            Vector256<uint> angle = Vector256.LoadUnsafe(ref w, (2 * (nuint)pairs) + p);

            // U = (⌊h/2⌋·2³¹ + ⌊l/2⌋ + ½)·2⁻⁶² in float: signed conversions of 31-bit values are exact up to rounding.
            Vector256<float> u = Vector256.FusedMultiplyAdd(
                Vector256.ConvertToSingle((high >>> 1).AsInt32()),
                Vector256.Create(1f / (1L << 31)),
                Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle((low >>> 1).AsInt32()), Vector256.Create((float)(1.0 / (1UL << 62))), Vector256.Create((float)(1.0 / (1UL << 63)))));
            Vector256<float> radius = Vector256.Sqrt(Log(u) * Vector256.Create(-2f)) * s;

            (Vector256<float> cos, Vector256<float> sin) = CosSin(angle);
            Vector256.FusedMultiplyAdd(radius, cos, Vector256.LoadUnsafe(ref v, p)).StoreUnsafe(ref v, p);
            Vector256.FusedMultiplyAdd(radius, sin, Vector256.LoadUnsafe(ref v, (nuint)pairs + p)).StoreUnsafe(ref v, (nuint)pairs + p);
        }
    }

    /// <summary>ln x for positive normal floats (relative error below 2·10⁻⁷).</summary>
    /// <param name="x">Positive, normal, finite values.</param>
    /// <returns>ln x.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Log(Vector256<float> x)
    {
        // x = m·2ᵉ with m ∈ [√½, √2): subtracting the bits of √½ makes the exponent field e.
        Vector256<int> bits = x.AsInt32();
        Vector256<int> e = (bits - Vector256.Create(0x3F3504F3)) >> 23;
        Vector256<float> m = (bits - (e << 23)).AsSingle();

        // ln m = 2·atanh(t), t = (m − 1)/(m + 1) ∈ [−0.1716, 0.1716]: 2(t + t³/3 + … + t⁹/9), remainder < 10⁻⁹.
        Vector256<float> t = (m - Vector256<float>.One) / (m + Vector256<float>.One);
        Vector256<float> t2 = t * t;
        Vector256<float> p = Vector256.FusedMultiplyAdd(t2, Vector256.Create(2f / 9f), Vector256.Create(2f / 7f));
        p = Vector256.FusedMultiplyAdd(t2, p, Vector256.Create(2f / 5f));
        p = Vector256.FusedMultiplyAdd(t2, p, Vector256.Create(2f / 3f));
        p = Vector256.FusedMultiplyAdd(t2, p, Vector256.Create(2f));
        return Vector256.FusedMultiplyAdd(Vector256.ConvertToSingle(e), Vector256.Create(Ln2), t * p);
    }

    /// <summary>cos and sin of 2π·a/2³² (absolute error below 2·10⁻⁷).</summary>
    /// <param name="a">The angle as a 32-bit fraction of a turn.</param>
    /// <returns>The cosines and sines.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector256<float> Cos, Vector256<float> Sin) CosSin(Vector256<uint> a)
    {
        // θ = (π/2)·(j + f): j = round(a/2³⁰) mod 4 the nearest quadrant, f ∈ [−½, ½) the residual, which is exactly
        // the 32-bit word a·4 (mod 2³²) read as signed, over 2³².
        Vector256<uint> j = (a + Vector256.Create(1u << 29)) >>> 30;
        Vector256<float> x = Vector256.ConvertToSingle((a << 2).AsInt32()) * Vector256.Create((float)(Math.PI / 8589934592.0));
        Vector256<float> x2 = x * x;

        // Taylor polynomials on |x| ≤ π/4: sin to x⁹ (remainder < 2·10⁻⁹), cos to x¹⁰ (remainder < 2·10⁻¹⁰).
        Vector256<float> sp = Vector256.FusedMultiplyAdd(x2, Vector256.Create(1f / 362880f), Vector256.Create(-1f / 5040f));
        sp = Vector256.FusedMultiplyAdd(x2, sp, Vector256.Create(1f / 120f));
        sp = Vector256.FusedMultiplyAdd(x2, sp, Vector256.Create(-1f / 6f));
        Vector256<float> sin = Vector256.FusedMultiplyAdd(x2 * x, sp, x);
        Vector256<float> cp = Vector256.FusedMultiplyAdd(x2, Vector256.Create(-1f / 3628800f), Vector256.Create(1f / 40320f));
        cp = Vector256.FusedMultiplyAdd(x2, cp, Vector256.Create(-1f / 720f));
        cp = Vector256.FusedMultiplyAdd(x2, cp, Vector256.Create(1f / 24f));
        cp = Vector256.FusedMultiplyAdd(x2, cp, Vector256.Create(-0.5f));
        Vector256<float> cos = Vector256.FusedMultiplyAdd(x2, cp, Vector256<float>.One);

        // Rotate by j quarter turns: j odd swaps sin and cos; cos is negated for j ∈ {1, 2}, sin for j ∈ {2, 3}.
        Vector256<float> odd = Vector256.Equals(j & Vector256<uint>.One, Vector256<uint>.One).AsSingle();
        Vector256<float> c = Vector256.ConditionalSelect(odd, sin, cos);
        Vector256<float> s = Vector256.ConditionalSelect(odd, cos, sin);
        Vector256<uint> two = Vector256.Create(2u);
        c = (c.AsUInt32() ^ (((j + Vector256<uint>.One) & two) << 30)).AsSingle();
        s = (s.AsUInt32() ^ ((j & two) << 30)).AsSingle();
        return (c, s);
    }
}
