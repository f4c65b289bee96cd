namespace Consortia.Privacy.Distributed;

/// <summary>A source of independent, uniformly distributed 64-bit words: the only randomness distributed DP's exact samplers use.</summary>
/// <remarks>
/// Deployed sites use <see cref="CryptographicWordSource"/> (the operating system's CSPRNG), so the coordinator cannot
/// know a site's noise; simulation and tests use <see cref="SeededWordSource"/> so that runs reproduce. Implementations
/// need not be thread-safe: each site owns its source.
/// </remarks>
public interface IRandomWordSource
{
    /// <summary>The next uniform 64-bit word.</summary>
    /// <returns>A word, every value equally likely.</returns>
    public ulong NextUInt64();
}
