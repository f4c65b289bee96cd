namespace Consortia.Federation.Jobs.Store;

/// <summary>A job as stored by the coordinator.</summary>
/// <param name="Id">The job id (assigned at submission).</param>
/// <param name="Name">The job name.</param>
/// <param name="Owner">Who submitted it.</param>
/// <param name="YamlText">The job file's text, as submitted.</param>
/// <param name="TotalRounds">The number of training rounds.</param>
/// <param name="RoundsCompleted">The number of committed rounds (always rounds 1..RoundsCompleted, no gap).</param>
/// <param name="State">The job's state.</param>
/// <param name="StatusMessage">Why it failed, was cancelled or refused, why it waits, or the last error it was resumed after; <see langword="null"/> if none.</param>
/// <param name="CancelRequested">Whether an operator asked to cancel the running job.</param>
/// <param name="Attempts">How many times a runner has started (or resumed) the job.</param>
/// <param name="SubmittedAt">When it was submitted (UTC).</param>
/// <param name="UpdatedAt">When its state last changed (UTC).</param>
public sealed record JobRecord(
    string Id,
    string Name,
    string Owner,
    string YamlText,
    int TotalRounds,
    int RoundsCompleted,
    JobState State,
    string? StatusMessage,
    bool CancelRequested,
    int Attempts,
    DateTimeOffset SubmittedAt,
    DateTimeOffset UpdatedAt)
{
    /// <summary>Whether the job has reached a final state (completed, failed, cancelled or refused).</summary>
    public bool IsFinal => IsFinalState(State);

    /// <summary>Whether <paramref name="state"/> is final (completed, failed, cancelled or refused).</summary>
    /// <param name="state">The state.</param>
    /// <returns><see langword="true"/> for a final state.</returns>
    public static bool IsFinalState(JobState state) => state is JobState.Completed or JobState.Failed or JobState.Cancelled or JobState.Refused;
}
