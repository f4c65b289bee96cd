namespace Consortia.Governance.Audit.Events;

/// <summary>A trained model was released.</summary>
/// <param name="JobId">The job.</param>
/// <param name="ModelSha256">The SHA-256 of the released model artefact.</param>
/// <param name="Destination">Where it went (a path, a registry, a person).</param>
public sealed record ModelReleasedEvent(string JobId, string ModelSha256, string Destination) : LedgerEvent
{
    /// <inheritdoc/>
    public override LedgerEventType Type => LedgerEventType.ModelReleased;
}
