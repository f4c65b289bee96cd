using NSec.Cryptography;

namespace Consortia.SecureAggregation.Signing;

/// <summary>Verifies Ed25519 signatures (RFC 8032) against a fixed table of identity keys, through NSec.Cryptography.</summary>
/// <remarks>Each key is parsed once, at construction. Thread-safe for verification.</remarks>
public sealed class Ed25519SignatureVerifier : ISignatureVerifier
{
    private readonly Dictionary<ParticipantIndex, PublicKey> _keys = [];

    /// <summary>Creates a verifier from raw 32-byte Ed25519 public keys.</summary>
    /// <param name="publicKeys">The identity key of each participant.</param>
    /// <exception cref="ArgumentException">A key is not a valid Ed25519 public key.</exception>
    public Ed25519SignatureVerifier(IReadOnlyDictionary<ParticipantIndex, ReadOnlyMemory<byte>> publicKeys)
    {
        ArgumentNullException.ThrowIfNull(publicKeys);
        foreach ((ParticipantIndex participant, ReadOnlyMemory<byte> encoded) in publicKeys)
        {
            if (encoded.Length != Ed25519Signer.PublicKeyLength
                || !PublicKey.TryImport(SignatureAlgorithm.Ed25519, encoded.Span, KeyBlobFormat.RawPublicKey, out PublicKey? key)
                || key is null)
            {
                throw new ArgumentException($"The identity key of participant {participant} is not a 32-byte Ed25519 public key.", nameof(publicKeys));
            }

            _keys[participant] = key;
        }
    }

    /// <inheritdoc />
    public bool Verify(ParticipantIndex signer, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> signature)
    {
        if (signature.Length != Ed25519Signer.SignatureLength || !_keys.TryGetValue(signer, out PublicKey? key)
                || key is null)
        {
            return false;
        }

        return SignatureAlgorithm.Ed25519.Verify(key, payload, signature);
    }
}
