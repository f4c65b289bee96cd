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

    /// <summary>
    /// The run of the job the event belongs to (the coordinator's id of that submission), beside the job's name, so that
    /// two runs of a job of the same name stay apart in a ledger; <see langword="null"/> for events of no run and for
    /// entries written before runs had ids.
    /// </summary>
    /// <value>Default <see langword="null"/> (and then not written at all, so older entries keep their bytes).</value>
    public string? RunId { get; init; }
}
