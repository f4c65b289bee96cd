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

        if (MinimumParticipants <= 0)
        {
            throw new ArgumentException($"training.min_participants: expected a positive integer, got {MinimumParticipants}.");
        }
    }
}
