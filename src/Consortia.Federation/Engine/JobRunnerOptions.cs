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
