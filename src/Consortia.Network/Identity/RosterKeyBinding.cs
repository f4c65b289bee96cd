using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Consortia.Governance.Audit;
using Grpc.Core;

namespace Consortia.Network.Identity;

/// <summary>
/// Binds a site's long-term roster key (the key that signs its ledger and its roster entry) to its enrollment or renewal:
/// the node signs, with that key, a statement naming the site, the key and the CSR it sends, and the coordinator
/// records the key with the certificate it issues. The statement includes the CSR so that a proof cannot be replayed in
/// another enrollment; signing it proves the node holds the key, so no site can record another's key as its own.
/// </summary>
public static class RosterKeyBinding
{
    private static readonly byte[] s_domain = Encoding.UTF8.GetBytes("consortia.enroll.v1.roster-key");

    /// <summary>The statement the roster key signs: domain, site, the key's SubjectPublicKeyInfo and the CSR, each length-prefixed.</summary>
    /// <param name="site">The site.</param>
    /// <param name="key">Its roster key.</param>
    /// <param name="csrPem">The CSR of this enrollment or renewal.</param>
    /// <returns>The statement.</returns>
    public static byte[] Statement(string site, LedgerPublicKey key, string csrPem)
    {
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(csrPem);
        using MemoryStream buffer = new();
        Span<byte> length = stackalloc byte[4];
        foreach (byte[] part in (byte[][])[s_domain, Encoding.UTF8.GetBytes(site), key.SubjectPublicKeyInfo.ToArray(), Encoding.UTF8.GetBytes(csrPem)])
        {
            BinaryPrimitives.WriteInt32BigEndian(length, part.Length);
            buffer.Write(length);
            buffer.Write(part);
        }

        return buffer.ToArray();
    }

    /// <summary>The request fields for <paramref name="key"/>: the key (base64 SubjectPublicKeyInfo) and its signature (hex).</summary>
    /// <param name="site">The site.</param>
    /// <param name="key">The roster key.</param>
    /// <param name="csrPem">The CSR sent with it.</param>
    /// <returns>The two fields.</returns>
    public static (string PublicKey, string Signature) Sign(string site, ILedgerSigner key, string csrPem)
    {
        ArgumentNullException.ThrowIfNull(key);
        byte[] signature = key.SignHash(SHA256.HashData(Statement(site, key.PublicKey, csrPem)));
        return (Convert.ToBase64String(key.PublicKey.SubjectPublicKeyInfo.Span), Convert.ToHexStringLower(signature));
    }

    /// <summary>Reads and checks the request fields; both empty means no key was sent.</summary>
    /// <param name="site">The site the CSR names.</param>
    /// <param name="csrPem">The CSR.</param>
    /// <param name="publicKey">The key field.</param>
    /// <param name="signature">The signature field.</param>
    /// <returns>The key (base64 SubjectPublicKeyInfo, canonical), or <see langword="null"/> when none was sent.</returns>
    /// <exception cref="EnrollmentRefusedException">Only one field is set, the key is not a P-256 key, or the signature does not verify.</exception>
    internal static string? Verify(string site, string csrPem, string? publicKey, string? signature)
    {
        if (string.IsNullOrEmpty(publicKey) && string.IsNullOrEmpty(signature))
        {
            return null;
        }

        LedgerPublicKey key;
        byte[] proof;
        try
        {
            key = LedgerPublicKey.FromSubjectPublicKeyInfo(Convert.FromBase64String(publicKey ?? string.Empty));
            proof = Convert.FromHexString(signature ?? string.Empty);
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            throw new EnrollmentRefusedException(StatusCode.InvalidArgument, $"roster_public_key must be a base64 P-256 SubjectPublicKeyInfo and roster_key_signature hex: {e.Message}", site);
        }

        if (proof.Length != 64 || !key.VerifyHash(SHA256.HashData(Statement(site, key, csrPem)), proof))
        {
            throw new EnrollmentRefusedException(StatusCode.PermissionDenied, $"roster_key_signature does not verify under the roster key sent ({key.Fingerprint}): the node must sign the binding with the key it names", site);
        }

        return Convert.ToBase64String(key.SubjectPublicKeyInfo.Span);
    }

    /// <summary>A recorded key (base64 SubjectPublicKeyInfo) as a key, or <see langword="null"/> for none or an unreadable one.</summary>
    /// <param name="recorded">The recorded key.</param>
    /// <returns>The key.</returns>
    public static LedgerPublicKey? Read(string? recorded)
    {
        if (string.IsNullOrEmpty(recorded))
        {
            return null;
        }

        try
        {
            return LedgerPublicKey.FromSubjectPublicKeyInfo(Convert.FromBase64String(recorded));
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return null;
        }
    }
}
