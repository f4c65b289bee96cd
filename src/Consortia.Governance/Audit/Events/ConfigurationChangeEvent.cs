namespace Consortia.Governance.Audit.Events;

/// <summary>Configuration changed: a policy file, a key, a certificate, the software version.</summary>
/// <param name="Item">What changed, e.g. <c>site-policy</c>.</param>
/// <param name="PreviousSha256">The hash of the previous version, or <see langword="null"/> when there was none.</param>
/// <param name="NewSha256">The hash of the new version.</param>
/// <param name="Description">A human-readable description, e.g. <c>policy version 3 → 4</c>.</param>
public sealed record ConfigurationChangeEvent(string Item, string? PreviousSha256, string NewSha256, string Description) : LedgerEvent
{
    /// <inheritdoc/>
    public override LedgerEventType Type => LedgerEventType.ConfigurationChange;
}
