namespace Consortia.Governance.Audit;

/// <summary>The identity key that signs a writer's ledger entries: ECDSA over NIST P-256.</summary>
/// <remarks>
/// A seam so the key can live where the deployment keeps identities (a PEM file, the enrollment key store, a
/// hardware module). Implementations must produce ECDSA P-256 signatures in IEEE P1363 form (r ‖ s, 64 bytes);
/// <see cref="EcdsaLedgerSigner"/> uses the platform's <see cref="System.Security.Cryptography.ECDsa"/>.
/// </remarks>
public interface ILedgerSigner
{
    /// <summary>The public key, written into the ledger header and used to verify signatures.</summary>
    public LedgerPublicKey PublicKey { get; }

    /// <summary>Signs a SHA-256 digest.</summary>
    /// <param name="sha256Digest">The 32-byte digest (an entry or header hash).</param>
    /// <returns>The ECDSA P-256 signature in IEEE P1363 form (64 bytes).</returns>
    public byte[] SignHash(ReadOnlySpan<byte> sha256Digest);
}
