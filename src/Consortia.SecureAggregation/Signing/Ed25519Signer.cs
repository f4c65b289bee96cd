using NSec.Cryptography;

using Consortia.SecureAggregation.Crypto;

namespace Consortia.SecureAggregation.Signing;

/// <summary>Ed25519 signatures (RFC 8032, 64 bytes) through NSec.Cryptography (libsodium).</summary>
/// <remarks>
/// For identities that are Ed25519 keys (the in-process simulator, or sites enrolled with Ed25519 keys).
/// Sites whose enrollment certificate holds a P-256 key use <see cref="EcdsaP256Signer"/> instead.
/// Verification costs are compared with ECDSA P-256 in docs/benchmarks.md.
/// </remarks>
public sealed class Ed25519Signer : ISigner, IDisposable
{
    /// <summary>The length of a signature in bytes.</summary>
    public const int SignatureLength = 64;

    /// <summary>The length of a public key in bytes.</summary>
    public const int PublicKeyLength = 32;

    private readonly Key _key;

    private Ed25519Signer(Key key)
    {
        _key = key;
        PublicKey = key.PublicKey.Export(KeyBlobFormat.RawPublicKey);
    }

    /// <summary>The raw 32-byte public key, for a verifier's key table.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>Creates a signer with a fresh key whose 32-byte seed is drawn from <paramref name="random"/>.</summary>
    /// <param name="random">The randomness for the key.</param>
    /// <returns>A new signer.</returns>
    public static Ed25519Signer Create(ISecureRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        byte[] seed = GC.AllocateArray<byte>(32, pinned: true);
        try
        {
            random.Fill(seed);
            return new Ed25519Signer(Key.Import(SignatureAlgorithm.Ed25519, seed, KeyBlobFormat.RawPrivateKey));
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(seed);
        }
    }

    /// <inheritdoc />
    public byte[] Sign(ReadOnlySpan<byte> payload) => SignatureAlgorithm.Ed25519.Sign(_key, payload);

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
