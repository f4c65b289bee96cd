using Consortia.Federation.Engine;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Learning;

namespace Consortia.Federation.Jobs.Store;

/// <summary>
/// A job store held in memory: the store of a simulation without an output folder, with exactly the semantics of
/// <see cref="SqliteJobStore"/> except durability (everything is gone when it is disposed).
/// </summary>
/// <remarks>
/// Models, strategy states and reports are kept in the same encoded form the SQLite store writes
/// (<see cref="StrategyStateCodec"/>, <see cref="RoundReportJson"/>), so what a runner reads back is what it would
/// read from a file: no shared mutable object survives a commit, and a simulation's results do not depend on the store.
/// </remarks>
public sealed class InMemoryJobStore : IJobStore
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<Entry> _jobs = [];
    private readonly Dictionary<string, Entry> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Action>> _cancelWatchers = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>Creates an empty store.</summary>
    /// <param name="time">The clock for submission and update times.</param>
    /// <param name="checkpointsToKeep">Checkpoints kept per job (the newest is always kept); <see langword="null"/> keeps all.</param>
    /// <exception cref="ArgumentException"><paramref name="checkpointsToKeep"/> is less than 1.</exception>
    public InMemoryJobStore(TimeProvider time, int? checkpointsToKeep = 5)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (checkpointsToKeep is < 1)
        {
            throw new ArgumentException($"job store: checkpoints_to_keep must be at least 1 (or unset to keep all), got {checkpointsToKeep}.", nameof(checkpointsToKeep));
        }

        _time = time;
        CheckpointsToKeep = checkpointsToKeep;
    }

    /// <summary>Checkpoints kept per job; <see langword="null"/> keeps all.</summary>
    public int? CheckpointsToKeep { get; }

    /// <inheritdoc />
    public JobRecord SubmitJob(JobSubmission submission)
    {
        StoredJobs.CheckSubmission(submission);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            DateTimeOffset now = _time.GetUtcNow();
            string id = Guid.CreateVersion7(now).ToString("N");
            while (_byId.ContainsKey(id))
            {
                // Version-7 ids carry random bits; a repeat is astronomically unlikely, but an id must be unique.
                id = Guid.CreateVersion7(now).ToString("N");
            }

            Entry entry = new(id, submission, now);
            _jobs.Add(entry);
            _byId.Add(id, entry);
            return entry.Record();
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<JobRecord> ListJobs()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return [.. _jobs.Select(j => j.Record())];
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<JobRecord> ListIncompleteJobs()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return [.. _jobs.Where(j => j.State == JobState.Running).Concat(_jobs.Where(j => j.State == JobState.Queued)).Select(j => j.Record())];
        }
    }

    /// <inheritdoc />
    public JobRecord? FindJob(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _byId.TryGetValue(jobId, out Entry? entry) ? entry.Record() : null;
        }
    }

    /// <inheritdoc />
    public IReadOnlyList<StoredRound> GetRounds(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_byId.TryGetValue(jobId, out Entry? entry))
            {
                return [];
            }

            return [.. entry.Rounds.Select((r, i) => new StoredRound(new RoundNumber(i + 1), RoundReportJson.Deserialize(r.Json), r.CompletedAt))];
        }
    }

    /// <inheritdoc />
    public JobRecord MarkRunning(string jobId, GlobalModel initial, StrategyState initialState)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(initialState);
        StoredCheckpoint checkpoint = StoredCheckpoint.Of(0, initial, initialState);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Entry job = Require(jobId);
            if (job.State is not (JobState.Queued or JobState.Running))
            {
                throw new JobStateException(jobId, job.State, "start");
            }

            job.State = JobState.Running;
            job.Attempts++;
            job.UpdatedAt = _time.GetUtcNow();
            if (job.Checkpoints.Count == 0)
            {
                job.Checkpoints.Add(checkpoint);
            }

            return job.Record();
        }
    }

    /// <inheritdoc />
    public void CommitRound(string jobId, RoundNumber round, GlobalModel model, StrategyState state, RoundReport report)
    {
        StoredJobs.CheckCommitArguments(jobId, round, model, state, report);

        StoredCheckpoint checkpoint = StoredCheckpoint.Of(round.Value, model, state);
        string json = RoundReportJson.Serialize(report);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Entry job = Require(jobId);
            StoredJobs.CheckCommit(jobId, round.Value, job.State, job.Rounds.Count, job.Submission.TotalRounds);

            DateTimeOffset now = _time.GetUtcNow();
            job.Rounds.Add((json, now));
            job.Checkpoints.Add(checkpoint);
            if (CheckpointsToKeep is { } keep)
            {
                job.Checkpoints.RemoveAll(c => c.Round <= round.Value - keep);
            }

            job.UpdatedAt = now;
        }
    }

    /// <inheritdoc />
    public Checkpoint? LoadLatestCheckpoint(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        StoredCheckpoint? newest;
        int committed;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Entry job = Require(jobId);
            newest = job.Checkpoints.Count == 0 ? null : job.Checkpoints[^1];
            committed = job.Rounds.Count;
        }

        if (newest is null)
        {
            return committed > 0
                ? throw new JobStoreException(jobId, committed, "the job has committed rounds but no checkpoint.", null)
                : null;
        }

        if (newest.Round != committed)
        {
            throw new JobStoreException(jobId, newest.Round, $"the newest checkpoint does not match the last committed round ({committed}).", null);
        }

        ParameterVector parameters = StrategyStateCodec.DecodeVector(newest.Model);
        StrategyState state = StrategyStateCodec.Decode(newest.State);
        string hash = UpdateHash.Of(parameters.Values);
        if (!string.Equals(hash, newest.Hash, StringComparison.Ordinal))
        {
            throw new JobStoreException(jobId, newest.Round, $"the checkpoint's model hash {hash} differs from the stored {newest.Hash}.", null);
        }

        return new Checkpoint(jobId, new RoundNumber(newest.Round), new RoundNumber(newest.ModelRound), parameters, state, hash);
    }

    /// <inheritdoc />
    public JobRecord MarkCompleted(string jobId, string? message = null) =>
        Transition(jobId, JobState.Completed, message, "complete", static job => job.State == JobState.Running && job.Rounds.Count == job.Submission.TotalRounds);

    /// <inheritdoc />
    public JobRecord MarkFailed(string jobId, string message) =>
        Transition(jobId, JobState.Failed, message, "fail", static job => !IsFinal(job.State));

    /// <inheritdoc />
    public JobRecord MarkCancelled(string jobId, string? message = null) =>
        Transition(jobId, JobState.Cancelled, message, "cancel", static job => !IsFinal(job.State), unchangedIf: JobState.Cancelled);

    /// <inheritdoc />
    public JobRecord MarkRefused(string jobId, string message) =>
        Transition(jobId, JobState.Refused, message, "refuse", static job => !IsFinal(job.State));

    /// <inheritdoc />
    public JobRecord RequestCancel(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        Action[] notify;
        JobRecord after;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Entry job = Require(jobId);
            if (job.State == JobState.Cancelled)
            {
                return job.Record();
            }

            if (IsFinal(job.State))
            {
                throw new JobStateException(jobId, job.State, "cancel");
            }

            if (job.State == JobState.Queued)
            {
                job.State = JobState.Cancelled;
                job.StatusMessage = "cancelled before it started";
            }

            job.CancelRequested = true;
            job.UpdatedAt = _time.GetUtcNow();
            after = job.Record();
            notify = _cancelWatchers.TryGetValue(jobId, out List<Action>? watchers) ? [.. watchers] : [];
        }

        foreach (Action action in notify)
        {
            action();
        }

        return after;
    }

    /// <inheritdoc />
    public IDisposable WatchCancel(string jobId, Action onCancel)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        ArgumentNullException.ThrowIfNull(onCancel);
        lock (_gate)
        {
            if (!_cancelWatchers.TryGetValue(jobId, out List<Action>? list))
            {
                _cancelWatchers[jobId] = list = [];
            }

            list.Add(onCancel);
        }

        return new Unwatch(this, jobId, onCancel);
    }

    /// <inheritdoc />
    public void NoteError(string jobId, string message)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_byId.TryGetValue(jobId, out Entry? job) && !IsFinal(job.State))
            {
                job.StatusMessage = string.IsNullOrEmpty(message) ? null : message;
                job.UpdatedAt = _time.GetUtcNow();
            }
        }
    }

    /// <summary>Forgets everything.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _jobs.Clear();
            _byId.Clear();
        }
    }

    private static bool IsFinal(JobState state) => JobRecord.IsFinalState(state);

    private Entry Require(string jobId) =>
        _byId.TryGetValue(jobId, out Entry? entry) ? entry : throw new KeyNotFoundException($"There is no job {jobId}.");

    private JobRecord Transition(string jobId, JobState to, string? message, string action, Func<Entry, bool> allowed, JobState? unchangedIf = null)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Entry job = Require(jobId);
            if (job.State == unchangedIf)
            {
                return job.Record();
            }

            if (!allowed(job))
            {
                throw job.State == JobState.Running && to == JobState.Completed
                    ? new JobStateException($"job {jobId}: cannot complete it with {job.Rounds.Count} of {job.Submission.TotalRounds} rounds committed.")
                    : new JobStateException(jobId, job.State, action);
            }

            job.State = to;
            job.StatusMessage = message;
            job.UpdatedAt = _time.GetUtcNow();
            return job.Record();
        }
    }

    /// <summary>A checkpoint in the encoded form the SQLite store keeps.</summary>
    private sealed record StoredCheckpoint(int Round, int ModelRound, byte[] Model, byte[] State, string Hash)
    {
        public static StoredCheckpoint Of(int round, GlobalModel model, StrategyState state) =>
            new(round, model.Round.Value, StrategyStateCodec.EncodeVector(model.Parameters), StrategyStateCodec.Encode(state), UpdateHash.Of(model.Parameters.Values));
    }

    /// <summary>One job's mutable row (guarded by the store's lock).</summary>
    private sealed class Entry(string id, JobSubmission submission, DateTimeOffset submittedAt)
    {
        private readonly DateTimeOffset _submittedAt = submittedAt;

        public JobSubmission Submission { get; } = submission;

        public JobState State { get; set; } = JobState.Queued;

        public string? StatusMessage { get; set; }

        public bool CancelRequested { get; set; }

        public int Attempts { get; set; }

        public DateTimeOffset UpdatedAt { get; set; } = submittedAt;

        public List<(string Json, DateTimeOffset CompletedAt)> Rounds { get; } = [];

        public List<StoredCheckpoint> Checkpoints { get; } = [];

        public JobRecord Record() => new(
            id, Submission.Name, Submission.Owner ?? "", Submission.YamlText, Submission.TotalRounds, Rounds.Count, State,
            StatusMessage, CancelRequested, Attempts, _submittedAt, UpdatedAt);
    }

    private sealed class Unwatch(InMemoryJobStore store, string jobId, Action action) : IDisposable
    {
        public void Dispose()
        {
            lock (store._gate)
            {
                if (store._cancelWatchers.TryGetValue(jobId, out List<Action>? list))
                {
                    list.Remove(action);
                    if (list.Count == 0)
                    {
                        store._cancelWatchers.Remove(jobId);
                    }
                }
            }
        }
    }
}
