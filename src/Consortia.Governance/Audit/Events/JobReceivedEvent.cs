namespace Consortia.Governance.Audit.Events;

/// <summary>A job manifest arrived.</summary>
/// <param name="JobId">The job.</param>
/// <param name="ManifestSha256">The SHA-256 of the manifest text (<see cref="Sha256Hex.OfText"/> of the UTF-8 text).</param>
/// <param name="Consortium">The consortium named in the job.</param>
/// <param name="Owner">The job owner.</param>
public sealed record JobReceivedEvent(string JobId, string ManifestSha256, string Consortium, string Owner) : LedgerEvent
{
    /// <inheritdoc/>
    public override LedgerEventType Type => LedgerEventType.JobReceived;
}
