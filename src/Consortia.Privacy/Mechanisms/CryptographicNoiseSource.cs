using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Consortia.Privacy.Mechanisms;

/// <summary>Standard normal noise driven by the operating system's CSPRNG (<see cref="RandomNumberGenerator"/>).</summary>
/// <remarks>
/// <para>
/// The noise source for real runs: it cannot be seeded. All uniform bits come from
/// <see cref="RandomNumberGenerator.Fill"/>, drawn in requests of up to 64 KiB (the call has a fixed cost of
/// microseconds, so small requests would dominate), and are cleared from the pooled buffer after use.
/// </para>
/// <para>
/// Both paths run the double-precision Box–Muller kernel of <see cref="BoxMuller"/>: 53-bit radius uniforms that are
/// never rounded (so no draw is zero: the radius is at least 2^−26.5), 54-bit angles, |z| ≤ √(108 ln 2) ≈ 8.652 (a
/// truncated tail of probability below 10⁻¹⁷). <b><see cref="AddScaledStandardNormals"/></b> (DP-SGD's path) rounds
/// s·z to float once and adds it in place; <b><see cref="NextStandardNormals"/></b> returns the doubles.
/// </para>
/// <para>
/// Neither is an exact sampler: as Mironov showed ("On Significance of the Least Significant Bits for Differential
/// Privacy", CCS 2012), a floating-point Gaussian added in floating point has a support and rounding pattern that
/// depend on the input, so the formal (ε, δ) guarantee holds for the idealised real-valued mechanism, not bit for bit
/// for this one. The uniforms' width and the bounded tail above are the hygiene of the design reference §3.6; a
/// discrete Gaussian on a grid would be the stronger option.
/// </para>
/// <para>Thread-safe: <see cref="RandomNumberGenerator.Fill"/> is, and each call rents its own buffer.</para>
/// </remarks>
public sealed class CryptographicNoiseSource : INoiseSource
{
    private readonly RandomBytesFiller _fill;
    private readonly UniformWordsFiller _fillWords;

    /// <summary>Creates a source over <see cref="RandomNumberGenerator.Fill"/>.</summary>
    public CryptographicNoiseSource()
        : this(RandomNumberGenerator.Fill)
    {
    }

    /// <summary>Creates a source over another byte generator (tests inject a deterministic one).</summary>
    internal CryptographicNoiseSource(RandomBytesFiller fill)
    {
        _fill = fill;
        _fillWords = words => _fill(MemoryMarshal.AsBytes(words));
    }

    /// <summary>Fills a span with random bytes.</summary>
    internal delegate void RandomBytesFiller(Span<byte> destination);

    /// <inheritdoc/>
    public void NextStandardNormals(Span<double> destination)
    {
        ulong[] words = ArrayPool<ulong>.Shared.Rent(BoxMuller.WordsFor(Math.Min(destination.Length, BoxMuller.MaxBlock)));
        try
        {
            while (!destination.IsEmpty)
            {
                int count = Math.Min(destination.Length, BoxMuller.MaxBlock);
                Span<ulong> block = words.AsSpan(0, BoxMuller.WordsFor(count));
                _fill(MemoryMarshal.AsBytes(block));
                BoxMuller.Transform(block, destination[..count]);
                destination = destination[count..];
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(words, clearArray: true);
        }
    }

    /// <inheritdoc/>
    /// <remarks>The vectorised double-precision kernel over CSPRNG bits, rounded to float once per value; see the class remarks.</remarks>
    public void AddScaledStandardNormals(Span<float> values, float scale)
    {
        NoiseScale.Validate(scale);
        if (values.IsEmpty)
        {
            return;
        }

        uint[] words = ArrayPool<uint>.Shared.Rent(FloatBoxMuller.BufferWords);
        int used = words.Length;
        try
        {
            used = FloatBoxMuller.AddScaled(values, scale, _fillWords, words);
        }
        finally
        {
            words.AsSpan(0, used).Clear();
            ArrayPool<uint>.Shared.Return(words);
        }
    }
}
