using Consortia.Federation.Engine;
using Consortia.Federation.Strategies;

namespace Consortia.Federation.Jobs.Store;

/// <summary>
/// Where a coordinator keeps its jobs, their committed rounds and their checkpoints: the only state the
/// <see cref="JobRunner"/> needs to resume a job after its last committed round.
/// </summary>
/// <remarks>
/// <para>
/// Implementations: in memory (simulation without an output folder), SQLite (the embedded default of a coordinator and
/// of <c>simulate --out</c>), PostgreSQL (coordinators that outgrow one file, with a standby replica). Every
/// implementation passes the same contract test suite.
/// </para>
/// <para>
/// Invariants every store enforces: a job's rounds are exactly 1..n (a round is committed only as the successor of the
/// last one); a round and its checkpoint are committed together, atomically; states follow queued → running →
/// completed | failed | cancelled | refused and final states are final; cancelling is idempotent (a cancelled job may be cancelled again). Implementations are thread-safe.
/// </para>
/// </remarks>
public interface IJobStore : IDisposable
{
    /// <summary>Records a new job, queued.</summary>
    /// <param name="submission">The job's YAML and listing fields.</param>
    /// <returns>The stored job with its new id.</returns>
    public JobRecord SubmitJob(JobSubmission submission);

    /// <summary>Lists every job in submission order.</summary>
    /// <returns>The jobs.</returns>
    public IReadOnlyList<JobRecord> ListJobs();

    /// <summary>Lists the jobs a restarted coordinator must take up: running ones first (they were interrupted), then queued ones, each in submission order.</summary>
    /// <returns>The jobs.</returns>
    public IReadOnlyList<JobRecord> ListIncompleteJobs();

    /// <summary>Finds a job.</summary>
    /// <param name="jobId">The job id.</param>
    /// <returns>The job, or <see langword="null"/> if there is none with that id.</returns>
    public JobRecord? FindJob(string jobId);

    /// <summary>The committed rounds of a job, in order (1..n).</summary>
    /// <param name="jobId">The job id.</param>
    /// <returns>The rounds.</returns>
    /// <exception cref="JobStoreException">A stored report cannot be read (named with its round).</exception>
    public IReadOnlyList<StoredRound> GetRounds(string jobId);

    /// <summary>
    /// Marks a job running (from queued, or again from running when a restarted coordinator resumes it), counts the
    /// attempt, and stores <paramref name="initial"/> as the round-0 checkpoint if the job has no checkpoint yet, atomically.
    /// </summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="initial">The initial model.</param>
    /// <param name="initialState">The strategy's initial state.</param>
    /// <returns>The job after the change.</returns>
    /// <exception cref="KeyNotFoundException">There is no such job.</exception>
    /// <exception cref="JobStateException">The job is completed, failed or cancelled.</exception>
    public JobRecord MarkRunning(string jobId, GlobalModel initial, StrategyState initialState);

    /// <summary>Commits a completed round: its report and the checkpoint after it, atomically.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="round">The round; must be the successor of the job's last committed round.</param>
    /// <param name="model">The model after the round.</param>
    /// <param name="state">The strategy state after the round.</param>
    /// <param name="report">The round's report (for <paramref name="round"/>).</param>
    /// <exception cref="KeyNotFoundException">There is no such job.</exception>
    /// <exception cref="JobStateException">The job is not running.</exception>
    /// <exception cref="JobStoreException">The round is not the next one (already committed, or a gap), or the report is for another round.</exception>
    public void CommitRound(string jobId, RoundNumber round, GlobalModel model, StrategyState state, RoundReport report);

    /// <summary>Loads the newest checkpoint of a job, verifying its model hash.</summary>
    /// <param name="jobId">The job id.</param>
    /// <returns>The checkpoint, or <see langword="null"/> when the job has none yet.</returns>
    /// <exception cref="JobStoreException">The stored checkpoint is unusable (hash mismatch, undecodable state).</exception>
    public Checkpoint? LoadLatestCheckpoint(string jobId);

    /// <summary>Marks a running job completed; every round must be committed.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="message">An optional message.</param>
    /// <returns>The job after the change.</returns>
    /// <exception cref="JobStateException">The job is not running, or not every round is committed.</exception>
    public JobRecord MarkCompleted(string jobId, string? message = null);

    /// <summary>Marks a queued or running job failed.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="message">Why.</param>
    /// <returns>The job after the change.</returns>
    /// <exception cref="JobStateException">The job is already completed, failed or cancelled.</exception>
    public JobRecord MarkFailed(string jobId, string message);

    /// <summary>
    /// Marks a queued or running job cancelled (the runner calls this when it stops at a cancellation request); a job
    /// cancelled already is left as it is (the operator's request and the runner's stop may both get here).
    /// </summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="message">Why, or <see langword="null"/>.</param>
    /// <returns>The job after the change (or as it was, when cancelled already).</returns>
    /// <exception cref="JobStateException">The job is already completed, failed or refused.</exception>
    public JobRecord MarkCancelled(string jobId, string? message = null);

    /// <summary>Marks a queued or running job refused: every site asked declined it under its policy.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="message">Each site's refusal with its rule.</param>
    /// <returns>The job after the change.</returns>
    /// <exception cref="JobStateException">The job is already completed, failed, cancelled or refused.</exception>
    public JobRecord MarkRefused(string jobId, string message);

    /// <summary>
    /// An operator's cancellation: a queued job is cancelled at once; a running job is flagged and its runner stops
    /// (within the current round, through cancellation, or before the next) and marks it cancelled. Idempotent: a job
    /// cancelled already (or flagged already) is returned as it is.
    /// </summary>
    /// <param name="jobId">The job id.</param>
    /// <returns>The job after the request.</returns>
    /// <exception cref="KeyNotFoundException">There is no such job.</exception>
    /// <exception cref="JobStateException">The job has already ended otherwise: completed, failed or refused.</exception>
    public JobRecord RequestCancel(string jobId);

    /// <summary>Calls <paramref name="onCancel"/> when <see cref="RequestCancel"/> is called for the job on this instance (the runner's in-process signal; other processes are seen by polling).</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="onCancel">What to call.</param>
    /// <returns>Disposing it stops the watch.</returns>
    public IDisposable WatchCancel(string jobId, Action onCancel);

    /// <summary>
    /// Records a note on a job that has not ended, without changing its state: the last error of a running job (to be
    /// resumed), or why a job waits to start (e.g. "0 sites enrolled"). Ignored for a job that has ended.
    /// </summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="message">The note; empty clears it.</param>
    public void NoteError(string jobId, string message);
}

/// <summary>Helpers over any <see cref="IJobStore"/>.</summary>
public static class JobStoreExtensions
{
    /// <summary>Gets a job.</summary>
    /// <param name="store">The store.</param>
    /// <param name="jobId">The job id.</param>
    /// <returns>The job.</returns>
    /// <exception cref="KeyNotFoundException">There is no job with that id.</exception>
    public static JobRecord GetJob(this IJobStore store, string jobId)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store.FindJob(jobId) ?? throw new KeyNotFoundException($"There is no job {jobId}.");
    }

    /// <summary>Whether an operator asked to cancel the job.</summary>
    /// <param name="store">The store.</param>
    /// <param name="jobId">The job id.</param>
    /// <returns><see langword="true"/> if cancellation was requested.</returns>
    public static bool IsCancelRequested(this IJobStore store, string jobId) => store.GetJob(jobId).CancelRequested;
}
