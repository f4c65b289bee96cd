using System.Security.Cryptography;
using Consortia.Governance.Audit;
using Consortia.SecureAggregation.Signing;

namespace Consortia.Federation.SecureAggregation;

/// <summary>
/// The site's long-term signing key (the one that signs its audit ledger and its roster entry) as a
/// secure-aggregation signer: ECDSA P-256 over SHA-256 of the payload, IEEE P1363, as <see cref="EcdsaP256SignatureVerifier"/> checks it.
/// </summary>
/// <remarks>
/// One key serves the ledger, the roster join and secure aggregation; the three never sign the same bytes, since
/// every signed encoding starts with its own domain label (<c>consortia.ledger…</c>, <c>consortia.roster.v1.join</c>,
/// <c>consortia.secagg.v1.…</c>), so a signature made for one use is never valid for another.
/// </remarks>
internal sealed class SiteSigner(ILedgerSigner key) : ISigner
{
    public byte[] Sign(ReadOnlySpan<byte> payload) => key.SignHash(SHA256.HashData(payload));
}
