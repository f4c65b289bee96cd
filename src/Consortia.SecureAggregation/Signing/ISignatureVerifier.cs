namespace Consortia.SecureAggregation.Signing;

/// <summary>
/// Verifies a participant's signature against that participant's identity key. Implementations resolve
/// the key from the site's certificate (checking chain and revocation) or from a provisioned table.
/// </summary>
public interface ISignatureVerifier
{
    /// <summary>Verifies <paramref name="signature"/> over <paramref name="payload"/> by <paramref name="signer"/>.</summary>
    /// <param name="signer">The participant that claims to have signed.</param>
    /// <param name="payload">The canonical signed bytes.</param>
    /// <param name="signature">The signature to check.</param>
    /// <returns><see langword="true"/> when valid; <see langword="false"/> for a bad signature or an unknown or revoked signer (never throws for hostile input).</returns>
    public bool Verify(ParticipantIndex signer, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> signature);
}
