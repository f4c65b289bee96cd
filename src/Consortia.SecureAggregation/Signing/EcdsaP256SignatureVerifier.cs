using System.Security.Cryptography;

using Consortia.SecureAggregation.Crypto;

namespace Consortia.SecureAggregation.Signing;

/// <summary>Verifies ECDSA P-256 / SHA-256 (IEEE P1363) signatures against a fixed table of identity keys.</summary>
/// <remarks>
/// For deployments, the table is built from the site certificates after chain and revocation checks
/// (or a certificate-aware <see cref="ISignatureVerifier"/> is used instead). Thread-safe for verification.
/// </remarks>
public sealed class EcdsaP256SignatureVerifier : ISignatureVerifier, IDisposable
{
    private readonly Dictionary<ParticipantIndex, ECDsa> _keys = [];

    /// <summary>Creates a verifier from SEC1 uncompressed P-256 public keys.</summary>
    /// <param name="publicKeys">The identity key of each participant.</param>
    /// <exception cref="ArgumentException">A key is not a valid P-256 point.</exception>
    public EcdsaP256SignatureVerifier(IReadOnlyDictionary<ParticipantIndex, ReadOnlyMemory<byte>> publicKeys)
    {
        ArgumentNullException.ThrowIfNull(publicKeys);
        foreach ((ParticipantIndex participant, ReadOnlyMemory<byte> encoded) in publicKeys)
        {
            if (!P256.TryImportVerificationKey(encoded.Span, out ECDsa? key))
            {
                Dispose();
                throw new ArgumentException($"The identity key of participant {participant} is not a valid P-256 point.", nameof(publicKeys));
            }

            _keys[participant] = key;
        }
    }

    /// <inheritdoc />
    public bool Verify(ParticipantIndex signer, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != EcdsaP256Signer.SignatureLength || !_keys.TryGetValue(signer, out ECDsa? key))
        {
            return false;
        }

        return key.VerifyData(payload, signature, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (ECDsa key in _keys.Values)
        {
            key.Dispose();
        }

        _keys.Clear();
    }
}
