using Consortia.Learning;

namespace Consortia.Privacy.Mechanisms;

/// <summary>Standard normal noise from a seeded <see cref="RandomSource"/>, for tests and simulations.</summary>
/// <remarks>
/// <para>
/// Reproducible: the same source state gives the same draws for the same sequence of calls (a call consumes whole
/// blocks of uniform words, so the draws depend on how a request is split into calls). The constructor draws the
/// 256-bit states of eight xoshiro256** lanes from <see cref="RandomSource"/> (32 words); the uniform bits then come
/// from those lanes in bulk, vectorised. Both paths use the double-precision Box–Muller kernel of
/// <see cref="CryptographicNoiseSource"/> (53-bit radius uniforms never rounded, so no draw is zero; |z| ≤ 8.652);
/// <see cref="AddScaledStandardNormals"/> rounds each scaled draw to float once.
/// </para>
/// <para>
/// Never use it for noise that protects real data: whoever knows the seed can subtract the noise. Not thread-safe
/// (neither is <see cref="RandomSource"/>); allocation-free after construction.
/// </para>
/// </remarks>
public sealed class SeededNoiseSource : INoiseSource
{
    private readonly XoshiroLanes _lanes;
    private readonly uint[] _words = new uint[FloatBoxMuller.BufferWords];
    private readonly ulong[] _doubleWords = new ulong[BoxMuller.MaxBlock];
    private readonly UniformWordsFiller _fill;

    /// <summary>Creates a source seeded from <paramref name="random"/>, which it advances by 32 words.</summary>
    /// <param name="random">The seeded source, typically derived for the purpose, e.g. <c>job.Derive("dp-noise")</c>.</param>
    public SeededNoiseSource(RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        _lanes = new XoshiroLanes(random);
        _fill = FillWords;
    }

    /// <inheritdoc/>
    public void NextStandardNormals(Span<double> destination)
    {
        while (!destination.IsEmpty)
        {
            int count = Math.Min(destination.Length, BoxMuller.MaxBlock);
            int words = BoxMuller.WordsFor(count);
            Span<ulong> block = _doubleWords.AsSpan(0, ((words + XoshiroLanes.WordsPerStep - 1) / XoshiroLanes.WordsPerStep) * XoshiroLanes.WordsPerStep);
            _lanes.Fill(block);
            BoxMuller.Transform(block[..words], destination[..count]);
            destination = destination[count..];
        }
    }

    /// <inheritdoc/>
    /// <remarks>The vectorised double-precision kernel over the xoshiro lanes, rounded to float once; see <see cref="CryptographicNoiseSource"/>.</remarks>
    public void AddScaledStandardNormals(Span<float> values, float scale)
    {
        NoiseScale.Validate(scale);
        FloatBoxMuller.AddScaled(values, scale, _fill, _words);
    }

    private void FillWords(Span<uint> words)
    {
        // Blocks are whole vectors of pairs (4·8k words); the lanes emit 16 32-bit words per step.
        int length = ((words.Length + 15) / 16) * 16;
        if (length == words.Length)
        {
            _lanes.Fill(words);
        }
        else
        {
            Span<uint> padded = stackalloc uint[16];
            int whole = (words.Length / 16) * 16;
            _lanes.Fill(words[..whole]);
            _lanes.Fill(padded);
            padded[..(words.Length - whole)].CopyTo(words[whole..]);
        }
    }
}
