using System.Security.Cryptography;

using Consortia.SecureAggregation.Crypto;

namespace Consortia.SecureAggregation.Signing;

/// <summary>ECDSA P-256 / SHA-256 signatures in the IEEE P1363 fixed 64-byte format.</summary>
/// <remarks>Takes ownership of the key. Thread-safe as far as the platform's <see cref="ECDsa"/> is.</remarks>
public sealed class EcdsaP256Signer : ISigner, IDisposable
{
    /// <summary>The length of a signature in bytes.</summary>
    public const int SignatureLength = 64;

    private readonly ECDsa _key;

    /// <summary>Creates a signer over an existing P-256 key, taking ownership of it.</summary>
    /// <param name="key">A P-256 private key.</param>
    /// <exception cref="ArgumentException">The key is not on P-256.</exception>
    public EcdsaP256Signer(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.KeySize != 256)
        {
            throw new ArgumentException($"The identity key must be a P-256 key, got {key.KeySize} bits.", nameof(key));
        }

        _key = key;
        PublicKey = P256.ExportPublicKey(key);
    }

    /// <summary>The SEC1 uncompressed public key (65 bytes), for a verifier's key table.</summary>
    public ReadOnlyMemory<byte> PublicKey { get; }

    /// <summary>Creates a signer with a fresh key drawn from <paramref name="random"/>.</summary>
    /// <param name="random">The randomness for the key.</param>
    /// <returns>A new signer.</returns>
    public static EcdsaP256Signer Create(ISecureRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return new EcdsaP256Signer(P256.GenerateSigningKey(random));
    }

    /// <inheritdoc />
    public byte[] Sign(ReadOnlySpan<byte> payload)
        => _key.SignData(payload, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

    /// <inheritdoc />
    public void Dispose() => _key.Dispose();
}
