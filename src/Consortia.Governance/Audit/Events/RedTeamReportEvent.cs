namespace Consortia.Governance.Audit.Events;

/// <summary>A red-team report was produced (<c>consortia redteam privacy … --out DIR</c>): its hash and the settings it ran under.</summary>
/// <param name="JobId">The job file the report attacks (its name).</param>
/// <param name="ReportSha256">The SHA-256 of the report (report.json).</param>
/// <param name="PreviousSha256">The hash of the previous report recorded in this ledger, or <see langword="null"/> for the first: a later report cannot silently replace an earlier one.</param>
/// <param name="Settings">The settings it ran under, e.g. <c>epsilons=1,inf; coordinator=false</c>.</param>
public sealed record RedTeamReportEvent(string JobId, string ReportSha256, string? PreviousSha256, string Settings) : LedgerEvent
{
    /// <inheritdoc/>
    public override LedgerEventType Type => LedgerEventType.RedTeamReport;
}
