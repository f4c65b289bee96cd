using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

using Consortia.SecureAggregation.Crypto;

namespace Consortia.SecureAggregation.Quantization;

/// <summary>
/// Encodes clipped float updates into Z_{2^B} with unbiased stochastic rounding, and decodes sums of up to
/// n encoded vectors (design reference §2.8).
/// </summary>
/// <remarks>
/// <para><b>Encoding.</b> x is clipped to [−c, c] and scaled by s = (2^(b_q−1) − 1)/c with
/// b_q = B − 1 − ⌈log2(n + 1)⌉; then v = ⌊x·s⌋ + Bernoulli(x·s − ⌊x·s⌋), the Bernoulli drawn by comparing a
/// 32-bit random word with the fraction (so its probability is within 2^−32 of the fraction: unbiased up
/// to 2^−32 steps). v is stored in two's complement mod 2^B.</para>
/// <para><b>Headroom.</b> |v| ≤ 2^(b_q−1), so a sum of n encoded vectors satisfies |Σ v| ≤ n·2^(b_q−1) &lt; 2^(B−1)
/// and decodes without wrap-around even though every addition wraps mod 2^B (or 2^32).</para>
/// <para><b>Error bound.</b> For one vector, every coordinate decodes to within one step 1/s of the clipped
/// value: |decode(encode(x)) − clip(x)| &lt; 1/s (and the error is 0 when x·s is an integer). For a sum of
/// m ≤ n vectors the errors add: |decode(Σ encode(x_u)) − Σ clip(x_u)| &lt; m/s ≤ n/s per coordinate, with
/// zero mean and variance at most m/(4s²).</para>
/// <para>Thread-safe (the randomness source is passed per call).</para>
/// </remarks>
public sealed class FixedPointCodec
{
    private const int DrawChunk = 4096;
    private const double TwoPow32 = 4294967296.0;

    private readonly uint _mask;
    private readonly uint _signBit;
    private readonly double _clip;

    /// <summary>Creates a codec.</summary>
    /// <param name="options">The parameters.</param>
    /// <exception cref="ArgumentException">The options are invalid (including a configuration that could overflow).</exception>
    public FixedPointCodec(FixedPointOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        CoordinateBits = options.CoordinateBits;
        Scale = (Math.Pow(2, CoordinateBits - 1) - 1) / options.ClipRange;
        _clip = options.ClipRange;
        _mask = options.RingBits == 32 ? uint.MaxValue : (1u << options.RingBits) - 1;
        _signBit = 1u << (options.RingBits - 1);
    }

    /// <summary>The parameters.</summary>
    public FixedPointOptions Options { get; }

    /// <summary>b_q, the bits one encoded coordinate may use.</summary>
    public int CoordinateBits { get; }

    /// <summary>The scale s = (2^(b_q−1) − 1)/c (encoded units per unit of the input).</summary>
    public double Scale { get; }

    /// <summary>One quantisation step 1/s: the per-coordinate error bound of one encoded vector.</summary>
    public double Step => 1.0 / Scale;

    /// <summary>Clips, scales and stochastically rounds <paramref name="values"/> into <paramref name="destination"/>.</summary>
    /// <param name="values">The update (e.g. a clipped, noised parameter delta).</param>
    /// <param name="destination">The encoded vector, same length.</param>
    /// <param name="random">The source of the rounding draws (4 bytes per coordinate).</param>
    /// <exception cref="ArgumentException">The lengths differ, or a value is NaN.</exception>
    public void Quantize(ReadOnlySpan<float> values, Span<uint> destination, ISecureRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (destination.Length != values.Length)
        {
            throw new ArgumentException($"The destination has {destination.Length} coordinates, the input {values.Length}.", nameof(destination));
        }

        byte[] draws = ArrayPool<byte>.Shared.Rent(DrawChunk * sizeof(uint));
        try
        {
            for (int start = 0; start < values.Length; start += DrawChunk)
            {
                int count = Math.Min(DrawChunk, values.Length - start);
                random.Fill(draws.AsSpan(0, count * sizeof(uint)));
                for (int i = 0; i < count; i++)
                {
                    float value = values[start + i];
                    if (float.IsNaN(value))
                    {
                        throw new ArgumentException($"values[{start + i}] is NaN; updates must be finite before quantisation.", nameof(values));
                    }

                    double scaled = Math.Clamp((double)value, -_clip, _clip) * Scale;
                    double floor = Math.Floor(scaled);
                    uint draw = BinaryPrimitives.ReadUInt32LittleEndian(draws.AsSpan(i * sizeof(uint), sizeof(uint)));
                    long rounded = (long)floor + (draw < (scaled - floor) * TwoPow32 ? 1 : 0);
                    destination[start + i] = unchecked((uint)rounded) & _mask;
                }
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(draws);
            ArrayPool<byte>.Shared.Return(draws);
        }
    }

    /// <summary>Decodes one coordinate of a sum to its signed integer value (two's complement in Z_{2^B}).</summary>
    /// <param name="value">A coordinate of a sum of at most n encoded vectors.</param>
    /// <returns>The signed sum of the encoded integers.</returns>
    public long DecodeInteger(uint value)
    {
        uint reduced = value & _mask;
        return (reduced & _signBit) != 0 ? (long)reduced - ((long)_mask + 1) : reduced;
    }

    /// <summary>Decodes a sum of at most n encoded vectors into the sum of the (clipped) inputs.</summary>
    /// <param name="sum">The sum mod 2^32 (e.g. <see cref="SecureSum.Sum"/>).</param>
    /// <param name="destination">The decoded sum, same length; error &lt; m/s per coordinate for m summands.</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public void DecodeSum(ReadOnlySpan<uint> sum, Span<double> destination)
    {
        if (destination.Length != sum.Length)
        {
            throw new ArgumentException($"The destination has {destination.Length} coordinates, the sum {sum.Length}.", nameof(destination));
        }

        double step = Step;
        for (int i = 0; i < sum.Length; i++)
        {
            destination[i] = DecodeInteger(sum[i]) * step;
        }
    }

    /// <summary>Decodes a sum into single precision (adds float rounding, relative 2^−24, to the bound).</summary>
    /// <param name="sum">The sum mod 2^32.</param>
    /// <param name="destination">The decoded sum, same length.</param>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public void DecodeSum(ReadOnlySpan<uint> sum, Span<float> destination)
    {
        if (destination.Length != sum.Length)
        {
            throw new ArgumentException($"The destination has {destination.Length} coordinates, the sum {sum.Length}.", nameof(destination));
        }

        double step = Step;
        for (int i = 0; i < sum.Length; i++)
        {
            destination[i] = (float)(DecodeInteger(sum[i]) * step);
        }
    }
}
