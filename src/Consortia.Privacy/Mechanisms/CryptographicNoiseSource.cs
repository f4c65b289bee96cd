using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Consortia.Privacy.Mechanisms;

/// <summary>Standard normal noise driven by the operating system's CSPRNG (<see cref="RandomNumberGenerator"/>).</summary>
/// <remarks>
/// <para>
/// The noise source for real runs: it cannot be seeded. All uniform bits come from
/// <see cref="RandomNumberGenerator.Fill"/>, drawn in requests of up to 48 KiB (the call has a fixed cost of
/// microseconds, so small requests would dominate), and are cleared from the pooled buffer after use.
/// </para>
/// <para>
/// <b><see cref="AddScaledStandardNormals"/></b> (DP-SGD's path) runs a vectorised single-precision Box–Muller
/// transform and adds s·z straight into the float vector. Precision: each pair of normals uses 96 random bits; the
/// radius uniform has 62 random bits rounded to float (24 significant bits), smallest value 2⁻⁶³, so
/// |z| ≤ √(126 ln 2) ≈ 9.345 — beyond the 53-bit double transform's 8.57, a truncated tail of probability ≈ 10⁻²⁰
/// per draw; the angle has 32 bits; ln, sin and cos are evaluated in float to a relative error below 2·10⁻⁷. The
/// draws are float32, which is also the precision of the gradient they are added to.
/// </para>
/// <para>
/// <b><see cref="NextStandardNormals"/></b> keeps the double-precision transform: 53-bit uniforms,
/// |z| ≤ √(106 ln 2) ≈ 8.57 (a truncated tail of probability below 10⁻¹⁷).
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
    /// <remarks>Vectorised single-precision Box–Muller over CSPRNG bits; see the class remarks for its precision.</remarks>
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
