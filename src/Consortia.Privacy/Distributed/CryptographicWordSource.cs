using System.Security.Cryptography;

namespace Consortia.Privacy.Distributed;

/// <summary>Uniform 64-bit words from the operating system's CSPRNG (<see cref="RandomNumberGenerator"/>): a site's noise in real runs.</summary>
/// <remarks>
/// Words are drawn in blocks of 512 (one <see cref="RandomNumberGenerator.Fill"/> call has a fixed cost of
/// microseconds); used words are cleared from the block. Not thread-safe: each site owns one.
/// </remarks>
public sealed class CryptographicWordSource : IRandomWordSource, IDisposable
{
    private readonly ulong[] _block = new ulong[512];
    private int _next = 512;

    /// <inheritdoc />
    public ulong NextUInt64()
    {
        if (_next == _block.Length)
        {
            RandomNumberGenerator.Fill(System.Runtime.InteropServices.MemoryMarshal.AsBytes(_block.AsSpan()));
            _next = 0;
        }

        ulong word = _block[_next];
        _block[_next++] = 0; // a drawn word is noise a site adds; it does not linger in memory
        return word;
    }

    /// <summary>Clears the unused words.</summary>
    public void Dispose()
    {
        Array.Clear(_block);
        _next = _block.Length;
    }
}
