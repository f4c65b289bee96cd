namespace Consortia.Governance.Audit.Events;

/// <summary>The site sent an update to the coordinator.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Round">The round.</param>
/// <param name="UpdateSha256">The SHA-256 of the exact bytes sent.</param>
/// <param name="SizeBytes">The number of bytes sent.</param>
/// <param name="Kind">Masked or plain.</param>
public sealed record UpdateSentEvent(string JobId, int Round, string UpdateSha256, long SizeBytes, UpdateKind Kind) : LedgerEvent
{
    /// <inheritdoc/>
    public override LedgerEventType Type => LedgerEventType.UpdateSent;
}
