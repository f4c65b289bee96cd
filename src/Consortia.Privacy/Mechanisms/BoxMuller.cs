using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Consortia.Privacy.Mechanisms;

/// <summary>
/// The Box–Muller transform from 64-bit uniform words to standard normal draws, in double precision and vectorised
/// (<see cref="Vector256{T}"/>): the one kernel behind every continuous Gaussian noise of the library.
/// </summary>
/// <remarks>
/// <para>
/// <b>Radius.</b> A word w gives the 53-bit uniform U = (⌊w/2¹¹⌋ + ½)·2⁻⁵³, which is never 0 nor 1: its 2⁵³ values
/// are the midpoints of a grid on (0, 1), each with probability 2⁻⁵³. U is never rounded: with x = min(U, 1 − U)
/// (exact in double, x ∈ [2⁻⁵⁴, ½)), ln U is ln x for the lower half and ln(1 − x) for the upper half, the latter as
/// ln u plus the exact rounding error of u = 1 − x over u, which keeps full relative precision as U → 1.
/// Then r = √(−2 ln U) ∈ [2^−26.5, √(108 ln 2) ≈ 8.652]: no radius is zero, so no draw is (the float path that
/// rounded U to 24 bits made U = 1, hence r = 0 and two noiseless coordinates, with probability 2⁻²⁵), and the tail
/// beyond 8.652 (probability below 10⁻¹⁷ per draw) is truncated.
/// </para>
/// <para>
/// <b>Angle.</b> A second word a gives θ = (π/2)·(j + (n + ½)·2⁻⁵²): the quadrant j from the word's top bits
/// (rounded to the nearest), n the next 52 bits as a signed residual; a 54-bit grid offset by half a step, so θ is
/// never a multiple of π/2 and neither sin θ nor cos θ is zero. sin and cos are Taylor polynomials in double on
/// [−π/4, π/4] (to x¹⁵ and x¹⁶, remainders below 10⁻¹⁶), rotated exactly by the quadrant.
/// </para>
/// <para>
/// <b>Layout.</b> A block of P pairs (P a multiple of 4) reads words [0, P) as radii and [P, 2P) as angles, and
/// writes the P cosine draws first, then the P sine draws.
/// </para>
/// <para>
/// Integer and IEEE operations only (FMA, division, square root) in a fixed order, so the same words give the same
/// draws on every platform. ln is evaluated by exponent extraction and the atanh series on [√½, √2) (relative error
/// a few units in the last place).
/// </para>
/// </remarks>
internal static class BoxMuller
{
    /// <summary>The largest number of normals produced per call of <see cref="Transform"/> by the sources.</summary>
    public const int MaxBlock = 1024;

    /// <summary>The largest |z| the transform can return: √(−2 ln 2⁻⁵⁴) = √(108 ln 2).</summary>
    public static readonly double MaxAbs = Math.Sqrt(108 * Math.Log(2));

    private const ulong DoubleOf2To52 = 0x4330000000000000UL; // the bits of 2⁵²: OR-ing an integer below 2⁵² adds it
    private const double Ln2 = 0.693147180559945309417232121458;

    /// <summary>The number of pairs (a multiple of four) a block of <paramref name="count"/> normals takes.</summary>
    /// <param name="count">The normals wanted.</param>
    /// <returns>The pairs.</returns>
    public static int PairsFor(int count) => ((count + 7) / 8) * 4;

    /// <summary>The number of 64-bit words needed for <paramref name="count"/> normals: two per pair.</summary>
    /// <param name="count">The normals wanted.</param>
    /// <returns>The words.</returns>
    public static int WordsFor(int count) => 2 * PairsFor(count);

    /// <summary>Transforms <see cref="WordsFor"/>(destination.Length) uniform words into normals.</summary>
    /// <param name="words">The uniform words: radii, then angles, <see cref="PairsFor"/> of each.</param>
    /// <param name="destination">The normals: the cosine draws, then the sine draws (truncated to its length).</param>
    public static void Transform(ReadOnlySpan<ulong> words, Span<double> destination)
    {
        int pairs = PairsFor(destination.Length);
        if (words.Length < 2 * pairs)
        {
            throw new ArgumentException($"{2 * pairs} uniform words are needed, got {words.Length}.", nameof(words));
        }

        Span<double> block = 2 * pairs == destination.Length ? destination : stackalloc double[2 * pairs];
        ref ulong w = ref MemoryMarshal.GetReference(words);
        ref double d = ref MemoryMarshal.GetReference(block);
        for (nuint p = 0; p < (nuint)pairs; p += 4)
        {
            (Vector256<double> cos, Vector256<double> sin) = Normals(Vector256.LoadUnsafe(ref w, p), Vector256.LoadUnsafe(ref w, (nuint)pairs + p));
            cos.StoreUnsafe(ref d, p);
            sin.StoreUnsafe(ref d, (nuint)pairs + p);
        }

        if (block != destination)
        {
            // The tail: cosines [0, P) and sines [P, 2P) of the padded block, the first destination.Length of them.
            block[..destination.Length].CopyTo(destination);
            block.Clear();
        }
    }

    /// <summary>Four pairs of independent standard normals from four radius words and four angle words.</summary>
    /// <param name="radiusWords">Uniform words for the radii.</param>
    /// <param name="angleWords">Uniform words for the angles.</param>
    /// <returns>r·cos θ and r·sin θ.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static (Vector256<double> Cos, Vector256<double> Sin) Normals(Vector256<ulong> radiusWords, Vector256<ulong> angleWords)
    {
        Vector256<double> radius = Vector256.Sqrt(Vector256.Create(-2.0) * LogUniform(radiusWords));
        (Vector256<double> cos, Vector256<double> sin) = CosSin(angleWords);
        return (radius * cos, radius * sin);
    }

    /// <summary>ln U for the 53-bit midpoint uniform U = (⌊w/2¹¹⌋ + ½)·2⁻⁵³, with full relative precision on both halves.</summary>
    /// <param name="w">The uniform words.</param>
    /// <returns>ln U, in [−54 ln 2, −2⁻⁵⁴].</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<double> LogUniform(Vector256<ulong> w)
    {
        // k = ⌊w/2¹¹⌋ (53 bits); the upper half (k ≥ 2⁵²) is folded onto the lower one: m = 2⁵³ − 1 − k, so that
        // x = (m + ½)·2⁻⁵³ is U on the lower half and 1 − U on the upper half, exactly.
        Vector256<ulong> k = w >>> 11;
        Vector256<ulong> upper = Vector256<ulong>.Zero - (k >>> 52);
        Vector256<ulong> m = k ^ (upper & Vector256.Create((1UL << 53) - 1));
        Vector256<double> x = ((m | Vector256.Create(DoubleOf2To52)).AsDouble() - Vector256.Create(4503599627370496.0) + Vector256.Create(0.5)) * Vector256.Create(1.0 / (1UL << 53));

        // Upper half: ln(1 − x) from u = 1 − x rounded and its exact rounding error e = (1 − u) − x (x ≤ ½, so both
        // subtractions are exact): ln(1 − x) = ln u + ln(1 + e/u) = ln u + e/u − …, and with |e| ≤ 2⁻⁵⁴, e·(1 + x)
        // stands for e/u to well under an ulp of the result (no division; at u = 1 it gives −x − x², i.e. log1p(−x)).
        Vector256<double> u = Vector256<double>.One - x;
        Vector256<double> e = (Vector256<double>.One - u) - x;
        Vector256<double> isUpper = upper.AsDouble();
        Vector256<double> log = Log(Vector256.ConditionalSelect(isUpper, u, x));
        Vector256<double> corrected = Vector256.FusedMultiplyAdd(e, Vector256<double>.One + x, log);
        return Vector256.ConditionalSelect(isUpper, corrected, log);
    }

    /// <summary>ln x for positive normal doubles (relative error a few ulps).</summary>
    /// <param name="x">Positive, normal, finite values.</param>
    /// <returns>ln x.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<double> Log(Vector256<double> x)
    {
        // x = m·2ᵉ with m ∈ [√½, √2): biasing by 1023 keeps the shifted value positive, so a logical shift extracts e.
        Vector256<long> bits = x.AsInt64();
        Vector256<long> biased = ((bits - Vector256.Create(0x3FE6A09E667F3BCDL) + Vector256.Create(1023L << 52)).AsUInt64() >>> 52).AsInt64();
        Vector256<long> e = biased - Vector256.Create(1023L);
        Vector256<double> m = (bits - (e << 52)).AsDouble();

        // ln m = 2·atanh(t), t = (m − 1)/(m + 1) ∈ [−0.1716, 0.1716]: 2(t + t³/3 + … + t²¹/21), remainder below 2⁻⁵⁶.
        Vector256<double> t = (m - Vector256<double>.One) / (m + Vector256<double>.One);
        Vector256<double> t2 = t * t;
        Vector256<double> p = Vector256.Create(2.0 / 21);
        p = Vector256.FusedMultiplyAdd(t2, p, Vector256.Create(2.0 / 19));
        p = Vector256.FusedMultiplyAdd(t2, p, Vector256.Create(2.0 / 17));
        p = Vector256.FusedMultiplyAdd(t2, p, Vector256.Create(2.0 / 15));
        p = Vector256.FusedMultiplyAdd(t2, p, Vector256.Create(2.0 / 13));
        p = Vector256.FusedMultiplyAdd(t2, p, Vector256.Create(2.0 / 11));
        p = Vector256.FusedMultiplyAdd(t2, p, Vector256.Create(2.0 / 9));
        p = Vector256.FusedMultiplyAdd(t2, p, Vector256.Create(2.0 / 7));
        p = Vector256.FusedMultiplyAdd(t2, p, Vector256.Create(2.0 / 5));
        p = Vector256.FusedMultiplyAdd(t2, p, Vector256.Create(2.0 / 3));

        // 2t + t³·p, then e·ln 2 added in one rounding (e is a small integer, exact as a double).
        Vector256<double> small = Vector256.FusedMultiplyAdd(t2 * t, p, t + t);
        Vector256<double> exponent = (e + Vector256.Create(0x4338000000000000L)).AsDouble() - Vector256.Create(6755399441055744.0);
        return Vector256.FusedMultiplyAdd(exponent, Vector256.Create(Ln2), small);
    }

    /// <summary>cos θ and sin θ for θ = (π/2)·(j + (n + ½)·2⁻⁵²) read from the angle words (absolute error below 3·10⁻¹⁶).</summary>
    /// <param name="a">The angle words.</param>
    /// <returns>The cosines and sines, never zero.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static (Vector256<double> Cos, Vector256<double> Sin) CosSin(Vector256<ulong> a)
    {
        // j = the nearest quadrant (top two bits, rounded); the residual is a·4 mod 2⁶⁴ read as signed, whose top 52
        // bits n ∈ [−2⁵¹, 2⁵¹) are converted exactly (XOR with 2⁵¹ offsets them into [0, 2⁵²) for the 2⁵² trick).
        Vector256<ulong> j = (a + Vector256.Create(1UL << 61)) >>> 62;
        Vector256<ulong> offset = ((a << 2) >>> 12) ^ Vector256.Create(1UL << 51);
        Vector256<double> n = (offset | Vector256.Create(DoubleOf2To52)).AsDouble() - Vector256.Create(6755399441055744.0); // − (2⁵² + 2⁵¹)
        Vector256<double> x = (n + Vector256.Create(0.5)) * Vector256.Create(Math.PI / 2 / (1UL << 52));
        Vector256<double> x2 = x * x;

        Vector256<double> sp = Vector256.Create(-1.0 / 1307674368000);
        sp = Vector256.FusedMultiplyAdd(x2, sp, Vector256.Create(1.0 / 6227020800));
        sp = Vector256.FusedMultiplyAdd(x2, sp, Vector256.Create(-1.0 / 39916800));
        sp = Vector256.FusedMultiplyAdd(x2, sp, Vector256.Create(1.0 / 362880));
        sp = Vector256.FusedMultiplyAdd(x2, sp, Vector256.Create(-1.0 / 5040));
        sp = Vector256.FusedMultiplyAdd(x2, sp, Vector256.Create(1.0 / 120));
        sp = Vector256.FusedMultiplyAdd(x2, sp, Vector256.Create(-1.0 / 6));
        Vector256<double> sin = Vector256.FusedMultiplyAdd(x2 * x, sp, x);

        Vector256<double> cp = Vector256.Create(1.0 / 20922789888000);
        cp = Vector256.FusedMultiplyAdd(x2, cp, Vector256.Create(-1.0 / 87178291200));
        cp = Vector256.FusedMultiplyAdd(x2, cp, Vector256.Create(1.0 / 479001600));
        cp = Vector256.FusedMultiplyAdd(x2, cp, Vector256.Create(-1.0 / 3628800));
        cp = Vector256.FusedMultiplyAdd(x2, cp, Vector256.Create(1.0 / 40320));
        cp = Vector256.FusedMultiplyAdd(x2, cp, Vector256.Create(-1.0 / 720));
        cp = Vector256.FusedMultiplyAdd(x2, cp, Vector256.Create(1.0 / 24));
        cp = Vector256.FusedMultiplyAdd(x2, cp, Vector256.Create(-0.5));
        Vector256<double> cos = Vector256.FusedMultiplyAdd(x2, cp, Vector256<double>.One);

        // Rotate by j quarter turns: j odd swaps sin and cos; cos is negated for j ∈ {1, 2}, sin for j ∈ {2, 3}.
        Vector256<double> odd = Vector256.Equals(j & Vector256<ulong>.One, Vector256<ulong>.One).AsDouble();
        Vector256<double> c = Vector256.ConditionalSelect(odd, sin, cos);
        Vector256<double> s = Vector256.ConditionalSelect(odd, cos, sin);
        Vector256<ulong> two = Vector256.Create(2UL);
        c = (c.AsUInt64() ^ (((j + Vector256<ulong>.One) & two) << 62)).AsDouble();
        s = (s.AsUInt64() ^ ((j & two) << 62)).AsDouble();
        return (c, s);
    }
}
