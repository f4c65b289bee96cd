namespace Consortia.Governance.Verification;

/// <summary>What a cross-check found.</summary>
public enum CrossCheckFindingKind
{
    /// <summary>One of the ledgers does not verify, so its contents cannot be compared.</summary>
    LedgerInvalid,

    /// <summary>A ledger was given in the wrong place (a site ledger as the coordinator's, or the reverse).</summary>
    WrongRole,

    /// <summary>The site recorded sending an update the coordinator did not record receiving from it.</summary>
    MissingAtCoordinator,

    /// <summary>The coordinator recorded an update from the site that the site did not record sending.</summary>
    MissingAtSite,

    /// <summary>Both recorded an update for the round, but with different hashes.</summary>
    HashMismatch,
}
