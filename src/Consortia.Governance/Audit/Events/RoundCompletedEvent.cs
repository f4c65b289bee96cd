namespace Consortia.Governance.Audit.Events;

/// <summary>The coordinator completed a round.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Round">The round.</param>
/// <param name="Updates">The update hash of every site whose update was received, in site order.</param>
public sealed record RoundCompletedEvent(string JobId, int Round, IReadOnlyList<SiteUpdateHash> Updates) : LedgerEvent
{
    /// <inheritdoc/>
    public override LedgerEventType Type => LedgerEventType.RoundCompleted;

    /// <summary>The SHA-256 of the aggregate produced, when recorded.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public string? AggregateSha256 { get; init; }
}
