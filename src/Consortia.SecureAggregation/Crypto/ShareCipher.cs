using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Consortia.SecureAggregation.Crypto;

/// <summary>
/// AES-256-GCM protection of the shares one participant sends another through the coordinator
/// (design reference §2.3): nonce = 4 zero bytes ‖ u64be(sender), AAD = session ‖ "share" ‖
/// u64be(sender) ‖ u64be(recipient). The key E_uv is shared by both directions; the sender in the nonce
/// keeps the two directions apart, and the AAD binds the ciphertext to its session, sender and recipient.
/// </summary>
internal static class ShareCipher
{
    internal const int TagLength = 16;
    private const int NonceLength = 12;
    private static ReadOnlySpan<byte> ShareLabel => "share"u8;

    internal static byte[] Encrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> session, int sender, int recipient, ReadOnlySpan<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[NonceLength];
        Span<byte> aad = stackalloc byte[session.Length + ShareLabel.Length + 16];
        Prepare(session, sender, recipient, nonce, aad);
        byte[] ciphertext = new byte[plaintext.Length + TagLength];
        using AesGcm gcm = new(key, TagLength);
        gcm.Encrypt(nonce, plaintext, ciphertext.AsSpan(0, plaintext.Length), ciphertext.AsSpan(plaintext.Length), aad);
        return ciphertext;
    }

    internal static bool TryDecrypt(ReadOnlySpan<byte> key, ReadOnlySpan<byte> session, int sender, int recipient, ReadOnlySpan<byte> ciphertext, Span<byte> plaintext)
    {
        if (ciphertext.Length != plaintext.Length + TagLength)
        {
            return false;
        }

        Span<byte> nonce = stackalloc byte[NonceLength];
        Span<byte> aad = stackalloc byte[session.Length + ShareLabel.Length + 16];
        Prepare(session, sender, recipient, nonce, aad);
        using AesGcm gcm = new(key, TagLength);
        try
        {
            gcm.Decrypt(nonce, ciphertext[..plaintext.Length], ciphertext[plaintext.Length..], plaintext, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            return false;
        }
    }

    private static void Prepare(ReadOnlySpan<byte> session, int sender, int recipient, Span<byte> nonce, Span<byte> aad)
    {
        nonce.Clear();
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], (ulong)sender);
        session.CopyTo(aad);
        ShareLabel.CopyTo(aad[session.Length..]);
        BinaryPrimitives.WriteUInt64BigEndian(aad.Slice(session.Length + ShareLabel.Length, 8), (ulong)sender);
        BinaryPrimitives.WriteUInt64BigEndian(aad.Slice(session.Length + ShareLabel.Length + 8, 8), (ulong)recipient);
    }
}
