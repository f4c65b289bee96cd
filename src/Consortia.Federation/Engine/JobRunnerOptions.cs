namespace Consortia.Federation.Engine;

/// <summary>How a <see cref="JobRunner"/> watches for cancellation and gives up on a job that keeps crashing.</summary>
public sealed record JobRunnerOptions
{
    /// <summary>How often a running round re-reads the job's cancellation flag from the store (requests made through the same store instance are seen at once).</summary>
    /// <value>Default: 2 seconds.</value>
    public TimeSpan CancelPollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A job started this many times without finishing (the coordinator crashed or stopped each time) is marked failed instead of started again.</summary>
    /// <value>Default: 5.</value>
    public int MaxAttempts { get; init; } = 5;

    /// <summary>
    /// Whether a round that every site asked refused under its policy ends the job <see cref="Jobs.Store.JobState.Refused"/>
    /// (a deployment: nothing would change in the next round, and an operator must see it) instead of being committed
    /// as a round without an aggregate (a simulation, which reports what every round would do).
    /// </summary>
    /// <value>Default: <see langword="false"/>.</value>
    public bool EndWhenEverySiteRefuses { get; init; }

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (CancelPollInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"job runner: cancel_poll_interval must be positive, got {CancelPollInterval}.");
        }

        if (MaxAttempts < 1)
        {
            throw new ArgumentException($"job runner: max_attempts must be at least 1, got {MaxAttempts}.");
        }
    }
}
