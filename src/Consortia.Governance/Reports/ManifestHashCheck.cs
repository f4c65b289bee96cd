namespace Consortia.Governance.Reports;

/// <summary>The manifest hash one ledger recorded when it received the job, compared with the manifest reported on.</summary>
/// <param name="WriterId">The ledger's writer.</param>
/// <param name="RecordedSha256">The hash in its <c>job-received</c> entry, or <see langword="null"/> when it has none for the job.</param>
/// <param name="Matches">Whether the recorded hash equals the manifest's hash.</param>
public sealed record ManifestHashCheck(string WriterId, string? RecordedSha256, bool Matches);
