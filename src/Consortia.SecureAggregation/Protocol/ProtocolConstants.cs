using System.Buffers.Binary;
using System.Security.Cryptography;

using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Sharing;

namespace Consortia.SecureAggregation.Protocol;

/// <summary>Sizes and derived values shared by the client and server state machines.</summary>
internal static class ProtocolConstants
{
    /// <summary>Both shared secrets (the mask private scalar and the self-mask seed) are 32 bytes.</summary>
    internal const int SecretLength = 32;

    /// <summary>An encoded share of a 32-byte secret: 4 + 3 × 16 bytes.</summary>
    internal static readonly int ShareLength = ShamirSecretSharing.ShareLength(SecretLength);

    /// <summary>The plaintext of an encrypted share: the private-key share then the seed share.</summary>
    internal static readonly int SharePlaintextLength = 2 * ShareLength;

    /// <summary>Ciphertext plus tag.</summary>
    internal static readonly int CiphertextLength = SharePlaintextLength + ShareCipher.TagLength;

    /// <summary>GraphSeed = SHA-256(SessionId0 ‖ for u ∈ U1 ascending: u64be(u) ‖ c_u^PK ‖ s_u^PK).</summary>
    internal static byte[] GraphSeed(SessionId session, IEnumerable<(int Index, ReadOnlyMemory<byte> CipherKey, ReadOnlyMemory<byte> MaskKey)> sortedKeys)
    {
        using IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(session.ToArray());
        Span<byte> index = stackalloc byte[8];
        foreach ((int participant, ReadOnlyMemory<byte> cipherKey, ReadOnlyMemory<byte> maskKey) in sortedKeys)
        {
            BinaryPrimitives.WriteUInt64BigEndian(index, (ulong)participant);
            hash.AppendData(index);
            hash.AppendData(cipherKey.Span);
            hash.AppendData(maskKey.Span);
        }

        return hash.GetHashAndReset();
    }
}
