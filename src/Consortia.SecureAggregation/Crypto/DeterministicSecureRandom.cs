using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Consortia.SecureAggregation.Crypto;

/// <summary>
/// A seeded, reproducible stand-in for the CSPRNG: the AES-256-CTR keystream of a key derived from the
/// seed. For tests, golden transcripts and reproducible simulations only.
/// </summary>
/// <remarks>
/// <b>Never protect real data with it</b>: anyone who knows the seed can recompute every key, seed and
/// share. Not thread-safe; use <see cref="Derive(ulong)"/> to give each participant its own stream.
/// </remarks>
public sealed class DeterministicSecureRandom : ISecureRandom, IDisposable
{
    private const int BufferBytes = 16 * 1024;
    private static ReadOnlySpan<byte> Label => "consortia.secagg.deterministic-random"u8;

    private readonly byte[] _key;
    private readonly Aes _aes;
    private readonly byte[] _buffer = new byte[BufferBytes];
    private UInt128 _nextCounter;
    private int _position = BufferBytes;

    /// <summary>Creates a stream from a 64-bit seed.</summary>
    /// <param name="seed">The seed; equal seeds give equal streams.</param>
    public DeterministicSecureRandom(ulong seed)
        : this(KeyFromSeed(seed))
    {
    }

    private DeterministicSecureRandom(byte[] key)
    {
        _key = key;
        _aes = Aes.Create();
        _aes.SetKey(key);
    }

    /// <summary>Derives an independent child stream labelled by <paramref name="label"/>.</summary>
    /// <param name="label">A label such as a participant index.</param>
    /// <returns>A new stream that depends only on this stream's seed and the label, not on how much was drawn.</returns>
    public DeterministicSecureRandom Derive(ulong label)
    {
        Span<byte> input = stackalloc byte[32 + 8];
        _key.CopyTo(input);
        BinaryPrimitives.WriteUInt64BigEndian(input[32..], label);
        return new DeterministicSecureRandom(SHA256.HashData(input));
    }

    /// <inheritdoc />
    public void Fill(Span<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            if (_position == BufferBytes)
            {
                AesCtr.Generate(_aes, _nextCounter, _buffer);
                _nextCounter += BufferBytes / 16;
                _position = 0;
            }

            int take = Math.Min(destination.Length, BufferBytes - _position);
            _buffer.AsSpan(_position, take).CopyTo(destination);
            _position += take;
            destination = destination[take..];
        }
    }

    /// <inheritdoc />
    public void Dispose() => _aes.Dispose();

    private static byte[] KeyFromSeed(ulong seed)
    {
        Span<byte> input = stackalloc byte[64];
        Label.CopyTo(input);
        BinaryPrimitives.WriteUInt64BigEndian(input.Slice(Label.Length, 8), seed);
        return SHA256.HashData(input[..(Label.Length + 8)]);
    }
}
