namespace Consortia.Governance.Audit.Events;

/// <summary>An event recorded in an audit ledger; a closed hierarchy of sealed records, one per <see cref="LedgerEventType"/>.</summary>
/// <remarks>
/// Hashes are SHA-256 values written as 64 lowercase hex digits. The event is stored as canonical JSON (fixed field
/// order, no whitespace, non-ASCII escaped) so that its bytes, and therefore the entry hash, are reproducible.
/// </remarks>
public abstract record LedgerEvent
{
    private protected LedgerEvent()
    {
    }

    /// <summary>The kind of event.</summary>
    public abstract LedgerEventType Type { get; }

    /// <summary>Free-form additional facts as a JSON value, or <see langword="null"/>; canonicalised (object keys sorted) when stored.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? Details { get; init; }
}
