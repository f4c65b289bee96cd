namespace Consortia.Governance.Verification;

/// <summary>One discrepancy between a site's ledger and the coordinator's.</summary>
/// <param name="Kind">What was found.</param>
/// <param name="JobId">The job, when the finding concerns one.</param>
/// <param name="Round">The round, when the finding concerns one.</param>
/// <param name="Description">A sentence naming the job, round, site and hashes.</param>
public sealed record CrossCheckFinding(CrossCheckFindingKind Kind, string? JobId, int? Round, string Description);
