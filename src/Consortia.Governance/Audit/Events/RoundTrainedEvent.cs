namespace Consortia.Governance.Audit.Events;

/// <summary>The site trained locally for a round.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Round">The round.</param>
/// <param name="ExampleCount">The number of training examples used.</param>
public sealed record RoundTrainedEvent(string JobId, int Round, long ExampleCount) : LedgerEvent
{
    /// <inheritdoc/>
    public override LedgerEventType Type => LedgerEventType.RoundTrained;
}
