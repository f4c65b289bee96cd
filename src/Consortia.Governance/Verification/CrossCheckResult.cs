namespace Consortia.Governance.Verification;

/// <summary>The result of cross-checking a site's ledger against the coordinator's.</summary>
/// <param name="Consistent">Whether both ledgers verify and every update hash matches both ways.</param>
/// <param name="SiteId">The site (the writer of the site ledger).</param>
/// <param name="Coordinator">The verification of the coordinator's ledger.</param>
/// <param name="Site">The verification of the site's ledger.</param>
/// <param name="Findings">Every discrepancy, ordered by job and round.</param>
/// <param name="MatchedUpdates">How many update hashes appear in both ledgers.</param>
public sealed record CrossCheckResult(
    bool Consistent,
    string SiteId,
    LedgerVerification Coordinator,
    LedgerVerification Site,
    IReadOnlyList<CrossCheckFinding> Findings,
    int MatchedUpdates);
