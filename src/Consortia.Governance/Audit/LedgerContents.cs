namespace Consortia.Governance.Audit;

/// <summary>A ledger as read from its file: the header and the entries in order.</summary>
/// <param name="Path">The file.</param>
/// <param name="Header">The header.</param>
/// <param name="Entries">The entries in sequence order.</param>
public sealed record LedgerContents(string Path, LedgerHeader Header, IReadOnlyList<LedgerEntry> Entries)
{
    /// <summary>The hash of the last entry (the header hash when there is none): what an auditor pins.</summary>
    public string HeadHash => Entries.Count == 0 ? Header.HeaderHash : Entries[^1].EntryHash;
}
