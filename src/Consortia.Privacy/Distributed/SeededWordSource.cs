using Consortia.Learning;

namespace Consortia.Privacy.Distributed;

/// <summary>Uniform 64-bit words from a seeded <see cref="RandomSource"/> (xoshiro256**): reproducible noise for simulation and tests, never for real data.</summary>
/// <param name="random">The seeded source, e.g. derived from the job seed, the site and the round.</param>
public sealed class SeededWordSource(RandomSource random) : IRandomWordSource
{
    private readonly RandomSource _random = random ?? throw new ArgumentNullException(nameof(random));

    /// <inheritdoc />
    public ulong NextUInt64() => _random.NextUInt64();
}
