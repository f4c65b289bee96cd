namespace Consortia.Governance.Audit.Events;

/// <summary>One site's update hash as reported to the coordinator in a round.</summary>
/// <param name="SiteId">The site (equal to the writer id of the site's ledger).</param>
/// <param name="UpdateSha256">The SHA-256 of the update bytes the coordinator received.</param>
public sealed record SiteUpdateHash(string SiteId, string UpdateSha256);
