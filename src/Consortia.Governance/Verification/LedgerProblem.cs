namespace Consortia.Governance.Verification;

/// <summary>The first thing wrong with a ledger.</summary>
/// <param name="Position">The 1-based physical position of the bad entry, or <see langword="null"/> when the file or header is bad.</param>
/// <param name="Sequence">The sequence number stored in the bad entry, when readable.</param>
/// <param name="Reason">What is wrong, with the values compared.</param>
public sealed record LedgerProblem(long? Position, long? Sequence, string Reason)
{
    /// <inheritdoc/>
    public override string ToString() => Position is { } p
        ? $"entry {p.ToString(System.Globalization.CultureInfo.InvariantCulture)}: {Reason}"
        : $"header: {Reason}";
}
