using System.Buffers;
using Consortia.Learning;

namespace Consortia.Privacy.Mechanisms;

/// <summary>Standard normal noise from a seeded <see cref="RandomSource"/>, for tests and simulations.</summary>
/// <remarks>
/// Reproducible: the same source state gives the same draws. Uses the same 53-bit Box–Muller transform as
/// <see cref="CryptographicNoiseSource"/>. Never use it for noise that protects real data: whoever knows the seed
/// can subtract the noise. Not thread-safe (neither is <see cref="RandomSource"/>).
/// </remarks>
public sealed class SeededNoiseSource : INoiseSource
{
    private readonly RandomSource _random;

    /// <summary>Creates a source over <paramref name="random"/>, which it advances.</summary>
    /// <param name="random">The seeded source, typically derived for the purpose, e.g. <c>job.Derive("dp-noise")</c>.</param>
    public SeededNoiseSource(RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        _random = random;
    }

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
                for (int i = 0; i < block.Length; i++)
                {
                    block[i] = _random.NextUInt64();
                }

                BoxMuller.Transform(block, destination[..count]);
                destination = destination[count..];
            }
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(words);
        }
    }
}
