using System.Buffers;
using System.Numerics.Tensors;

namespace Consortia.Privacy.Mechanisms;

/// <summary>The Box–Muller transform from 64-bit uniform words to standard normal draws, vectorised.</summary>
/// <remarks>
/// Each pair of words (a, b) gives u₁ = ((a ≫ 11) + 1)·2⁻⁵³ ∈ (0, 1] and u₂ = (b ≫ 11)·2⁻⁵³ ∈ [0, 1), both with 53
/// random bits, then r = √(−2 ln u₁), and the two independent draws r·cos(2πu₂) and r·sin(2πu₂). Because u₁ ≥ 2⁻⁵³,
/// |z| ≤ √(106 ln 2) ≈ 8.57: the tail beyond is truncated, a probability below 10⁻¹⁷ per draw.
/// </remarks>
internal static class BoxMuller
{
    /// <summary>The largest number of normals produced per call of <see cref="Transform"/>.</summary>
    public const int MaxBlock = 1024;

    private const double TwoToMinus53 = 1.0 / (1UL << 53);

    /// <summary>The number of 64-bit words needed for <paramref name="count"/> normals.</summary>
    public static int WordsFor(int count) => 2 * ((count + 1) / 2);

    /// <summary>Transforms <see cref="WordsFor"/>(destination.Length) uniform words into normals.</summary>
    public static void Transform(ReadOnlySpan<ulong> words, Span<double> destination)
    {
        int pairs = (destination.Length + 1) / 2;
        if (words.Length < 2 * pairs)
        {
            throw new ArgumentException($"{2 * pairs} uniform words are needed, got {words.Length}.", nameof(words));
        }

        double[] scratch = ArrayPool<double>.Shared.Rent(4 * pairs);
        try
        {
            Span<double> radius = scratch.AsSpan(0, pairs);
            Span<double> angle = scratch.AsSpan(pairs, pairs);
            Span<double> sin = scratch.AsSpan(2 * pairs, pairs);
            Span<double> cos = scratch.AsSpan(3 * pairs, pairs);
            for (int p = 0; p < pairs; p++)
            {
                radius[p] = ((words[2 * p] >> 11) + 1) * TwoToMinus53;
                angle[p] = (words[(2 * p) + 1] >> 11) * TwoToMinus53;
            }

            TensorPrimitives.Log(radius, radius);
            TensorPrimitives.Multiply(radius, -2.0, radius);
            TensorPrimitives.Sqrt(radius, radius);
            TensorPrimitives.Multiply(angle, 2.0 * Math.PI, angle);
            TensorPrimitives.SinCos(angle, sin, cos);

            TensorPrimitives.Multiply(radius, cos, destination[..pairs]);
            int rest = destination.Length - pairs;
            TensorPrimitives.Multiply(radius[..rest], sin[..rest], destination[pairs..]);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scratch, clearArray: true);
        }
    }
}
