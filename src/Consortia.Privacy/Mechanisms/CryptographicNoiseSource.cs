using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Consortia.Privacy.Mechanisms;

/// <summary>Standard normal noise driven by the operating system's CSPRNG (<see cref="RandomNumberGenerator"/>).</summary>
/// <remarks>
/// <para>
/// The noise source for real runs: it cannot be seeded. Uniforms carry 53 random bits and go through the
/// Box–Muller transform (|z| ≤ 8.57, a truncated tail of probability below 10⁻¹⁷), the minimum hygiene named in the
/// design reference §3.6 after Mironov, "On Significance of the Least Significant Bits for Differential Privacy"
/// (CCS 2012). The random words are cleared from the pooled buffer after use.
/// </para>
/// <para>Thread-safe: <see cref="RandomNumberGenerator.Fill"/> is, and the instance holds no state.</para>
/// </remarks>
public sealed class CryptographicNoiseSource : INoiseSource
{
    private readonly RandomBytesFiller _fill;

    /// <summary>Creates a source over <see cref="RandomNumberGenerator.Fill"/>.</summary>
    public CryptographicNoiseSource()
        : this(RandomNumberGenerator.Fill)
    {
    }

    /// <summary>Creates a source over another byte generator (tests inject a deterministic one).</summary>
    internal CryptographicNoiseSource(RandomBytesFiller fill)
    {
        _fill = fill;
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
}
