using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Consortia.SecureAggregation.Crypto;

namespace Consortia.SecureAggregation.Masking;

/// <summary>
/// Expands 32-byte mask keys into masks over Z_{2^32} with AES-256-CTR and adds or subtracts them
/// straight into a vector, chunk by chunk, without materialising the whole mask.
/// </summary>
/// <remarks>
/// Byte-exact convention (design reference §2.9): keystream with a zero initial counter block
/// incremented as a 128-bit big-endian integer; element i is the little-endian <see cref="uint"/> of
/// keystream bytes [4i, 4i+4). The counter blocks are the same for every key, so they are written once
/// per process for the longest vector seen and shared, read-only, by all expanders; each chunk costs one
/// platform ECB call plus one vectorised add. Not thread-safe: each protocol participant owns one expander.
/// </remarks>
internal sealed class AesCtrMaskExpander : IDisposable
{
    // Counter blocks 0, 1, 2, … shared by every expander; only ever replaced by a longer copy with the same prefix.
    private static readonly Lock CountersLock = new();
    private static byte[] s_counters = [];

    private readonly Aes _aes = Aes.Create();
    private byte[] _counters = [];
    private byte[]? _keystream;

    /// <summary>Adds or subtracts the mask of <paramref name="key"/> into <paramref name="target"/>.</summary>
    public void Apply(ReadOnlySpan<byte> key, Span<uint> target, MaskDirection direction)
    {
        if (key.Length != 32)
        {
            throw new ArgumentException("Mask keys are 32 bytes.", nameof(key));
        }

        int totalBytes = checked(target.Length * sizeof(uint));
        EnsureCounters(totalBytes);
        _keystream ??= ArrayPool<byte>.Shared.Rent(AesCtr.ChunkBytes);
        _aes.SetKey(key);
        for (int offset = 0; offset < totalBytes; offset += AesCtr.ChunkBytes)
        {
            int length = Math.Min(AesCtr.ChunkBytes, totalBytes - offset);
            int blockBytes = AesCtr.RoundUpToBlock(length);
            Span<byte> keystream = _keystream.AsSpan(0, blockBytes);
            _aes.EncryptEcb(_counters.AsSpan(offset, blockBytes), keystream, PaddingMode.None);
            Span<uint> words = MemoryMarshal.Cast<byte, uint>(keystream[..length]);
            if (!BitConverter.IsLittleEndian)
            {
                BinaryPrimitives.ReverseEndianness(words, words);
            }

            Span<uint> slice = target.Slice(offset / sizeof(uint), words.Length);
            if (direction == MaskDirection.Add)
            {
                RingArithmetic.AddInPlace(slice, words);
            }
            else
            {
                RingArithmetic.SubtractInPlace(slice, words);
            }
        }
    }

    /// <summary>Writes the mask of <paramref name="key"/> itself into <paramref name="destination"/>.</summary>
    public void Expand(ReadOnlySpan<byte> key, Span<uint> destination)
    {
        destination.Clear();
        Apply(key, destination, MaskDirection.Add);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _aes.Dispose();
        if (_keystream is not null)
        {
            CryptographicOperations.ZeroMemory(_keystream);
            ArrayPool<byte>.Shared.Return(_keystream);
            _keystream = null;
        }
    }

    /// <summary>Raw platform cipher call over the cached counter blocks (for throughput comparisons).</summary>
    internal void EncryptCountersForBenchmark(ReadOnlySpan<byte> key, Span<byte> destination)
    {
        EnsureCounters(destination.Length);
        _aes.SetKey(key);
        _aes.EncryptEcb(_counters.AsSpan(0, destination.Length), destination, PaddingMode.None);
    }

    private void EnsureCounters(int totalBytes)
    {
        int needed = AesCtr.RoundUpToBlock(totalBytes);
        if (_counters.Length >= needed)
        {
            return;
        }

        byte[] shared = Volatile.Read(ref s_counters);
        if (shared.Length < needed)
        {
            lock (CountersLock)
            {
                shared = s_counters;
                if (shared.Length < needed)
                {
                    byte[] counters = GC.AllocateUninitializedArray<byte>(needed);
                    AesCtr.WriteCounterBlocks(counters, UInt128.Zero);
                    Volatile.Write(ref s_counters, counters);
                    shared = counters;
                }
            }
        }

        _counters = shared;
    }
}
