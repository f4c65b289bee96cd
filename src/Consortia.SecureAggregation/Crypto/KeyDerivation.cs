using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Consortia.SecureAggregation.Crypto;

/// <summary>
/// HKDF-SHA256 derivations of the protocol, with the labels of design reference §2.3, §2.6 and §2.9.
/// The session id is the salt of every session-bound derivation, so nothing derived in one session is
/// valid in another.
/// </summary>
internal static class KeyDerivation
{
    internal const int KeyLength = 32;

    private static ReadOnlySpan<byte> EncryptionLabel => "consortia.secagg.v1.enc"u8;
    private static ReadOnlySpan<byte> PairMaskLabel => "consortia.secagg.v1.mask.pair"u8;
    private static ReadOnlySpan<byte> SelfMaskLabel => "consortia.secagg.v1.mask.self"u8;
    private static ReadOnlySpan<byte> GraphLabel => "consortia.secagg.v1.graph"u8;

    /// <summary>E_uv: the AES-GCM key protecting the shares exchanged between two participants.</summary>
    internal static void EncryptionKey(ReadOnlySpan<byte> agreement, ReadOnlySpan<byte> session, int a, int b, Span<byte> key)
        => PairKey(EncryptionLabel, agreement, session, a, b, key);

    /// <summary>K_uv: the key of the pairwise mask between two participants.</summary>
    internal static void PairwiseMaskKey(ReadOnlySpan<byte> agreement, ReadOnlySpan<byte> session, int a, int b, Span<byte> key)
        => PairKey(PairMaskLabel, agreement, session, a, b, key);

    /// <summary>K_u: the key of a participant's self mask, from its seed b_u.</summary>
    internal static void SelfMaskKey(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> session, int participant, Span<byte> key)
    {
        Span<byte> info = stackalloc byte[SelfMaskLabel.Length + 8];
        SelfMaskLabel.CopyTo(info);
        BinaryPrimitives.WriteUInt64BigEndian(info[SelfMaskLabel.Length..], (ulong)participant);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, seed, key[..KeyLength], session, info);
    }

    /// <summary>The AES key whose keystream drives the neighbour-graph permutation.</summary>
    internal static void GraphKey(ReadOnlySpan<byte> graphSeed, Span<byte> key)
        => HKDF.DeriveKey(HashAlgorithmName.SHA256, graphSeed, key[..KeyLength], ReadOnlySpan<byte>.Empty, GraphLabel);

    private static void PairKey(ReadOnlySpan<byte> label, ReadOnlySpan<byte> agreement, ReadOnlySpan<byte> session, int a, int b, Span<byte> key)
    {
        Span<byte> info = stackalloc byte[label.Length + 16];
        label.CopyTo(info);
        BinaryPrimitives.WriteUInt64BigEndian(info.Slice(label.Length, 8), (ulong)Math.Min(a, b));
        BinaryPrimitives.WriteUInt64BigEndian(info.Slice(label.Length + 8, 8), (ulong)Math.Max(a, b));
        HKDF.DeriveKey(HashAlgorithmName.SHA256, agreement, key[..KeyLength], session, info);
    }
}
