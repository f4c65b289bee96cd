namespace Consortia.Governance.Audit;

/// <summary>The header of a ledger: who writes it and the key that signs it.</summary>
/// <param name="Format">The ledger format version (1).</param>
/// <param name="WriterId">The writer (a site id, or the coordinator's id).</param>
/// <param name="Role">Coordinator or site.</param>
/// <param name="PublicKey">The writer's public key as stored in the file (verify against a key obtained out of band when possible).</param>
/// <param name="CreatedAt">When the ledger was created (from the writer's <see cref="TimeProvider"/>).</param>
/// <param name="HeaderHash">The SHA-256 of the header encoding, lowercase hex; the previous hash of entry 1.</param>
public sealed record LedgerHeader(int Format, string WriterId, LedgerRole Role, LedgerPublicKey PublicKey, DateTimeOffset CreatedAt, string HeaderHash);
