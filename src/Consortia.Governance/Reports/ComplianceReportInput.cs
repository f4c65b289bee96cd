using Consortia.Governance.Audit;
using Consortia.Governance.Policies;

namespace Consortia.Governance.Reports;

/// <summary>What a compliance report is built from.</summary>
/// <param name="ManifestText">The job manifest (job file) text exactly as submitted.</param>
/// <param name="ManifestName">The manifest's file name, for display.</param>
/// <param name="Job">The job as a site policy sees it, read from the manifest by the job engine (the caller parses the
/// job file; this library does not read job files, so a report shows exactly what the sites evaluated).</param>
/// <param name="CoordinatorLedgerPath">The coordinator's ledger.</param>
/// <param name="SiteLedgerPaths">The sites' ledgers (any number, including none).</param>
/// <param name="GeneratedAt">The time to print as the generation time (the caller's clock).</param>
public sealed record ComplianceReportInput(
    string ManifestText,
    string ManifestName,
    JobDescriptor Job,
    string CoordinatorLedgerPath,
    IReadOnlyList<string> SiteLedgerPaths,
    DateTimeOffset GeneratedAt)
{
    /// <summary>The job id used in the ledgers; <see langword="null"/> takes the manifest's <c>name</c>.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? JobId { get; init; }

    /// <summary>Writers' public keys obtained out of band, by writer id; ledgers of other writers are checked against their header key.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public IReadOnlyDictionary<string, LedgerPublicKey>? Keys { get; init; }
}
