namespace Consortia.Federation.Engine;

/// <summary>How the engine runs a job's rounds.</summary>
public sealed record RoundEngineOptions
{
    /// <summary>The number of training rounds.</summary>
    /// <value>Default: 10.</value>
    public int Rounds { get; init; } = 10;

    /// <summary>Federated evaluation after every this-many rounds (the last round is always evaluated).</summary>
    /// <value>Default: 1.</value>
    public int EvaluateEvery { get; init; } = 1;

    /// <summary>A round with fewer contributing sites than this keeps the previous model and is reported failed.</summary>
    /// <value>Default: 1.</value>
    public int MinimumParticipants { get; init; } = 1;

    /// <summary>The job's name, bound into every secure aggregation session.</summary>
    /// <value>Default: <c>job</c>.</value>
    public string JobName { get; init; } = "job";

    /// <summary>Secure aggregation: when set, the coordinator only ever receives the sum of each round's updates.</summary>
    /// <value>Default: <see langword="null"/> (updates are sent in the clear).</value>
    public SecureAggregation.SecureAggregationSettings? SecureAggregation { get; init; }

    /// <summary>The consortium roster the coordinator checks secure-aggregation signatures against, so that a forged or
    /// puppet advertisement is dropped before it reaches the sites (which check against their own accepted roster regardless).</summary>
    /// <value>Default <see langword="null"/>: the coordinator relays advertisements unchecked and the sites alone verify them.</value>
    public Governance.Roster.ConsortiumRoster? Roster { get; init; }

    /// <summary>Sample-level DP-SGD at every site, or <see langword="null"/>.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public Sites.SiteDpSettings? Dp { get; init; }

    /// <summary>Checks the options and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (Rounds <= 0)
        {
            throw new ArgumentException($"training.rounds: expected a positive integer, got {Rounds}.");
        }

        if (EvaluateEvery <= 0)
        {
            throw new ArgumentException($"evaluation.every: expected a positive integer, got {EvaluateEvery}.");
        }

        SecureAggregation?.Validate();
        Dp?.Options.Validate();
        if (MinimumParticipants <= 0)
        {
            throw new ArgumentException($"training.min_participants: expected a positive integer, got {MinimumParticipants}.");
        }
    }
}
