namespace Consortia.Governance.Audit.Events;

/// <summary>What a fairness audit released: a site's per-group count vector, or the coordinator's report on the sum.</summary>
/// <param name="JobId">The audited job (its name; the run is <see cref="LedgerEvent.RunId"/>).</param>
/// <param name="ModelSha256">The SHA-256 of the audited model's parameters.</param>
/// <param name="Attributes">The audited attributes (the site attribute is always included).</param>
/// <param name="Release">What the entry's hash is of.</param>
/// <param name="Sha256">At a site, the hash of the count vector it sent (plain) or of its masked input (masked); at the coordinator, the hash of the report.</param>
/// <param name="Sites">At a site, the sites of the audit; at the coordinator, the sites whose counts are in the report.</param>
/// <param name="Withheld">At a site, the cells it suppressed below its minimum cell count (<c>attribute=group</c>); empty at the coordinator.</param>
public sealed record FairnessAuditEvent(string JobId, string ModelSha256, IReadOnlyList<string> Attributes, FairnessRelease Release, string Sha256, int Sites, IReadOnlyList<string> Withheld) : LedgerEvent
{
    /// <inheritdoc/>
    public override LedgerEventType Type => LedgerEventType.FairnessAudit;
}
