using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Governance.Verification;

namespace Consortia.Governance.Reports;

/// <summary>A per-job compliance report: who took part, under which policies and protections, and what left each site.</summary>
/// <param name="JobId">The job.</param>
/// <param name="GeneratedAt">When the report was generated.</param>
/// <param name="ManifestName">The manifest file name.</param>
/// <param name="ManifestText">The manifest text.</param>
/// <param name="ManifestSha256">The manifest's SHA-256.</param>
/// <param name="Job">The manifest fields a policy checks.</param>
/// <param name="ManifestHashes">The manifest hash each ledger recorded.</param>
/// <param name="Coordinator">The verification of the coordinator's ledger.</param>
/// <param name="Sites">Every site that supplied a ledger or appears in the coordinator's rounds, ordered by id.</param>
/// <param name="Rounds">The completed rounds.</param>
/// <param name="ModelsReleased">Models the coordinator recorded releasing for the job.</param>
/// <remarks>Render with <see cref="ComplianceReportRenderer"/>.</remarks>
public sealed record ComplianceReport(
    string JobId,
    DateTimeOffset GeneratedAt,
    string ManifestName,
    string ManifestText,
    string ManifestSha256,
    JobDescriptor Job,
    IReadOnlyList<ManifestHashCheck> ManifestHashes,
    LedgerVerification Coordinator,
    IReadOnlyList<SiteCompliance> Sites,
    IReadOnlyList<RoundParticipation> Rounds,
    IReadOnlyList<ModelReleasedEvent> ModelsReleased)
{
    /// <summary>Whether the coordinator's and every supplied site ledger verify.</summary>
    public bool AllLedgersValid => Coordinator.IsValid && Sites.All(s => s.Ledger is null || s.Ledger.IsValid);

    /// <summary>Whether every supplied site ledger cross-checks with the coordinator's without findings for this job.</summary>
    public bool CrossChecksConsistent => Sites.All(s => s.CrossCheck is null || RelevantFindings(s.CrossCheck).Count == 0);

    /// <summary>Whether every ledger that recorded the job recorded this manifest's hash, and at least one did.</summary>
    public bool ManifestMatches => ManifestHashes.Any(m => m.RecordedSha256 is not null) && ManifestHashes.All(m => m.RecordedSha256 is null || m.Matches);

    /// <summary>The findings of a cross-check that concern this job or the ledgers as a whole.</summary>
    /// <param name="crossCheck">The cross-check.</param>
    /// <returns>The relevant findings.</returns>
    public IReadOnlyList<CrossCheckFinding> RelevantFindings(CrossCheckResult crossCheck)
    {
        ArgumentNullException.ThrowIfNull(crossCheck);
        return crossCheck.Findings.Where(f => f.JobId is null || string.Equals(f.JobId, JobId, StringComparison.Ordinal)).ToList();
    }
}
