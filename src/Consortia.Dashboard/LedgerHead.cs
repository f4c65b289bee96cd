namespace Consortia.Dashboard;

/// <summary>Where an audit ledger stands: the hash of its last entry and its number of entries.</summary>
/// <param name="Hash">The hash of the last entry (the header hash when empty), lowercase hex.</param>
/// <param name="Length">The number of entries (the last sequence number).</param>
public sealed record LedgerHead(string Hash, long Length);
