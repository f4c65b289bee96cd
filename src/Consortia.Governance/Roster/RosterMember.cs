using Consortia.Governance.Audit;

namespace Consortia.Governance.Roster;

/// <summary>One member site of a consortium roster: its name, its long-term signing key and its signed join statement.</summary>
/// <param name="Site">The site's name (as in its certificate and ledger).</param>
/// <param name="PublicKey">The site's long-term P-256 signing key: it signs the site's audit ledger and its secure-aggregation messages.</param>
/// <param name="JoinSignature">The site's own signature (IEEE P1363) over its join statement (<see cref="ConsortiumRoster.JoinStatement"/>).</param>
public sealed record RosterMember(string Site, LedgerPublicKey PublicKey, ReadOnlyMemory<byte> JoinSignature);
