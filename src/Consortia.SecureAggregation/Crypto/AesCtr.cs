using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Consortia.SecureAggregation.Crypto;

/// <summary>
/// AES-256 in counter mode built from the platform's AES-NI accelerated ECB one-shot over big-endian
/// counter blocks (the base library has no CTR class; ECB over counters is the standard construction).
/// </summary>
/// <remarks>
/// The counter block is a 128-bit big-endian integer starting at the given value, so a zero initial
/// counter gives exactly OpenSSL's <c>aes-256-ctr</c> with a zero IV. Not thread-safe per <see cref="Aes"/>.
/// </remarks>
internal static class AesCtr
{
    /// <summary>
    /// Bytes of keystream produced per platform call: each call pays a fixed cost (cipher context and key
    /// schedule, several microseconds), so chunks must be large; 256 KiB still stays within a core's L2 cache.
    /// </summary>
    internal const int ChunkBytes = 256 * 1024;

    /// <summary>Writes consecutive big-endian counter blocks starting at <paramref name="first"/>.</summary>
    internal static void WriteCounterBlocks(Span<byte> destination, UInt128 first)
    {
        System.Diagnostics.Debug.Assert(destination.Length % 16 == 0, "counter buffers hold whole blocks");
        UInt128 counter = first;
        for (int offset = 0; offset < destination.Length; offset += 16)
        {
            BinaryPrimitives.WriteUInt128BigEndian(destination.Slice(offset, 16), counter);
            counter++;
        }
    }

    /// <summary>Fills <paramref name="destination"/> with the keystream of <paramref name="aes"/> from counter <paramref name="first"/>.</summary>
    internal static void Generate(Aes aes, UInt128 first, Span<byte> destination)
    {
        int chunk = Math.Min(ChunkBytes, RoundUpToBlock(destination.Length));
        byte[] counters = ArrayPool<byte>.Shared.Rent(chunk);
        byte[] keystream = ArrayPool<byte>.Shared.Rent(chunk);
        try
        {
            UInt128 counter = first;
            for (int offset = 0; offset < destination.Length; offset += chunk)
            {
                int length = Math.Min(chunk, destination.Length - offset);
                int blockBytes = RoundUpToBlock(length);
                WriteCounterBlocks(counters.AsSpan(0, blockBytes), counter);
                aes.EncryptEcb(counters.AsSpan(0, blockBytes), keystream.AsSpan(0, blockBytes), PaddingMode.None);
                keystream.AsSpan(0, length).CopyTo(destination.Slice(offset, length));
                counter += (UInt128)(uint)(blockBytes / 16);
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(keystream.AsSpan(0, chunk));
            ArrayPool<byte>.Shared.Return(counters);
            ArrayPool<byte>.Shared.Return(keystream);
        }
    }

    /// <summary>Fills <paramref name="destination"/> with the AES-256-CTR keystream of <paramref name="key"/> from a zero counter.</summary>
    internal static void Generate(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        using Aes aes = Aes.Create();
        aes.SetKey(key);
        Generate(aes, UInt128.Zero, destination);
    }

    internal static int RoundUpToBlock(int length) => (length + 15) & ~15;
}
