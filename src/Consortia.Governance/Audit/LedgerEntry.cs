using Consortia.Governance.Audit.Events;

namespace Consortia.Governance.Audit;

/// <summary>One entry of an audit ledger.</summary>
/// <param name="Sequence">The 1-based sequence number.</param>
/// <param name="Timestamp">When it was appended (UTC, from the writer's <see cref="TimeProvider"/>).</param>
/// <param name="WriterId">The writer.</param>
/// <param name="Type">The event type.</param>
/// <param name="Payload">The canonical JSON payload exactly as hashed.</param>
/// <param name="PreviousHash">The previous entry's hash (the header hash for entry 1), lowercase hex.</param>
/// <param name="EntryHash">The SHA-256 of this entry's encoding, lowercase hex.</param>
/// <param name="Signature">The writer's ECDSA P-256 signature over <paramref name="EntryHash"/>, lowercase hex (IEEE P1363).</param>
/// <param name="Event">The decoded event.</param>
public sealed record LedgerEntry(
    long Sequence,
    DateTimeOffset Timestamp,
    string WriterId,
    LedgerEventType Type,
    string Payload,
    string PreviousHash,
    string EntryHash,
    string Signature,
    LedgerEvent Event);
