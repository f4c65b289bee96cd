namespace Consortia.Governance.Audit.Events;

/// <summary>An aggregate (new global model) was received by a site, or produced by the coordinator.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Round">The round.</param>
/// <param name="AggregateSha256">The SHA-256 of the aggregate's bytes.</param>
/// <param name="ContributingSites">How many sites' updates it sums.</param>
public sealed record AggregateReceivedEvent(string JobId, int Round, string AggregateSha256, int ContributingSites) : LedgerEvent
{
    /// <inheritdoc/>
    public override LedgerEventType Type => LedgerEventType.AggregateReceived;
}
