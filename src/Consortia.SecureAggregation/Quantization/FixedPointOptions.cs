using System.Numerics;

namespace Consortia.SecureAggregation.Quantization;

/// <summary>Parameters of the fixed-point encoding of clipped float updates into Z_{2^B} (design reference §2.8).</summary>
public sealed record FixedPointOptions
{
    /// <summary>The clip range c: every coordinate is clipped to [−c, c] before rounding.</summary>
    /// <value>Required; finite and positive. With DP clipping to L2 norm S, c = S is always safe.</value>
    public required double ClipRange { get; init; }

    /// <summary>The largest number of vectors that will be summed (the selected sites n), for the headroom.</summary>
    /// <value>Required; at least 1.</value>
    public required int MaxSummands { get; init; }

    /// <summary>The ring size exponent B: values live in Z_{2^B}, stored in <see cref="uint"/>.</summary>
    /// <value>Default 32; 2 to 32. The secure-aggregation protocol sums in Z_{2^32}; a smaller B takes the low B bits.</value>
    public int RingBits { get; init; } = 32;

    /// <summary>b_q = B − 1 − ⌈log2(n + 1)⌉: the bits one coordinate may use so that n of them sum without wrap-around.</summary>
    public int CoordinateBits => RingBits - 1 - CeilingLog2(MaxSummands + 1L);

    /// <summary>Checks every field, including the headroom rule n·2^(b_q−1) &lt; 2^(B−1).</summary>
    /// <exception cref="ArgumentException">A field is invalid; the message names it.</exception>
    public void Validate()
    {
        if (!double.IsFinite(ClipRange) || ClipRange <= 0)
        {
            throw new ArgumentException($"ClipRange must be finite and positive, got {ClipRange}.", nameof(ClipRange));
        }

        if (RingBits < 2 || RingBits > 32)
        {
            throw new ArgumentException($"RingBits must be in [2, 32], got {RingBits}.", nameof(RingBits));
        }

        if (MaxSummands < 1)
        {
            throw new ArgumentException($"MaxSummands must be at least 1, got {MaxSummands}.", nameof(MaxSummands));
        }

        int bits = CoordinateBits;
        if (bits < 2 || (double)MaxSummands * Math.Pow(2, bits - 1) >= Math.Pow(2, RingBits - 1))
        {
            throw new ArgumentException(
                $"MaxSummands = {MaxSummands} leaves {bits} bits per coordinate in a {RingBits}-bit ring; at least 2 are needed so that the sum cannot wrap around. Use fewer summands or more ring bits.",
                nameof(MaxSummands));
        }
    }

    private static int CeilingLog2(long value) => value <= 1 ? 0 : 64 - BitOperations.LeadingZeroCount((ulong)(value - 1));
}
