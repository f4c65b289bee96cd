using Consortia.Federation.Engine;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Learning;

namespace Consortia.Federation.Jobs.Store;

/// <summary>What every database-backed <see cref="IJobStore"/> reads and writes alike: state names and checkpoint checks.</summary>
public static class StoredJobs
{
    /// <summary>The stored name of a state (<c>queued</c>, <c>running</c>, <c>completed</c>, <c>failed</c>, <c>cancelled</c>, <c>refused</c>).</summary>
    /// <param name="state">The state.</param>
    /// <returns>Its name.</returns>
    public static string Name(JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Completed => "completed",
        JobState.Failed => "failed",
        JobState.Cancelled => "cancelled",
        JobState.Refused => "refused",
        _ => throw new ArgumentOutOfRangeException(nameof(state)),
    };

    /// <summary>Checks a submission before any store records it.</summary>
    /// <param name="submission">The submission.</param>
    /// <exception cref="ArgumentException">The name is blank, the YAML is missing or there are fewer than 1 rounds.</exception>
    public static void CheckSubmission(JobSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        ArgumentException.ThrowIfNullOrWhiteSpace(submission.Name);
        ArgumentNullException.ThrowIfNull(submission.YamlText);
        ArgumentOutOfRangeException.ThrowIfLessThan(submission.TotalRounds, 1);
    }

    /// <summary>Checks the arguments of <see cref="IJobStore.CommitRound"/> before any store reads the job.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="round">The round.</param>
    /// <param name="model">The model after the round.</param>
    /// <param name="state">The strategy state after the round.</param>
    /// <param name="report">The round's report.</param>
    /// <exception cref="JobStoreException">The report is for another round.</exception>
    public static void CheckCommitArguments(string jobId, RoundNumber round, GlobalModel model, StrategyState state, RoundReport report)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(report);
        if (report.Round != round)
        {
            throw new JobStoreException(jobId, round.Value, $"the report is for round {report.Round.Value}.", null);
        }
    }

    /// <summary>Checks that a job can take <paramref name="round"/> as its next committed round.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="round">The round to commit.</param>
    /// <param name="state">The job's state.</param>
    /// <param name="roundsCompleted">The job's committed rounds.</param>
    /// <param name="totalRounds">The job's rounds in all.</param>
    /// <exception cref="JobStateException">The job is not running.</exception>
    /// <exception cref="JobStoreException">The round is not the next one, or beyond the job's last.</exception>
    public static void CheckCommit(string jobId, int round, JobState state, int roundsCompleted, int totalRounds)
    {
        if (state != JobState.Running)
        {
            throw new JobStateException(jobId, state, $"commit round {round} of");
        }

        if (round != roundsCompleted + 1)
        {
            throw new JobStoreException(jobId, round, $"cannot be committed: the last committed round is {roundsCompleted}, so the next must be {roundsCompleted + 1}.", null);
        }

        if (round > totalRounds)
        {
            throw new JobStoreException(jobId, round, $"cannot be committed: the job has {totalRounds} rounds.", null);
        }
    }

    /// <summary>Reads a stored state name.</summary>
    /// <param name="jobId">The job (for the error).</param>
    /// <param name="name">The stored name.</param>
    /// <returns>The state.</returns>
    /// <exception cref="JobStoreException">The name is unknown.</exception>
    public static JobState ParseState(string jobId, string name) => name switch
    {
        "queued" => JobState.Queued,
        "running" => JobState.Running,
        "completed" => JobState.Completed,
        "failed" => JobState.Failed,
        "cancelled" => JobState.Cancelled,
        "refused" => JobState.Refused,
        _ => throw new JobStoreException(jobId, null, $"unknown job status '{name}'.", null),
    };

    /// <summary>Decodes a stored checkpoint and checks it: blob hashes, the recorded model hash and the recorded state type.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="round">The checkpoint's round.</param>
    /// <param name="modelRound">The round that produced the model.</param>
    /// <param name="model">The model blob.</param>
    /// <param name="state">The strategy state blob.</param>
    /// <param name="storedHash">The recorded <c>model_sha256</c>.</param>
    /// <param name="storedType">The recorded <c>state_type</c>.</param>
    /// <returns>The checkpoint.</returns>
    /// <exception cref="JobStoreException">Any check fails (named with the job and round).</exception>
    public static Checkpoint ReadCheckpoint(string jobId, int round, int modelRound, byte[] model, byte[] state, string storedHash, string storedType)
    {
        ParameterVector parameters;
        StrategyState decoded;
        try
        {
            parameters = StrategyStateCodec.DecodeVector(model);
            decoded = StrategyStateCodec.Decode(state);
        }
        catch (InvalidDataException error)
        {
            throw new JobStoreException(jobId, round, $"the checkpoint cannot be read: {error.Message}", error);
        }

        string hash = UpdateHash.Of(parameters.Values);
        if (!string.Equals(hash, storedHash, StringComparison.Ordinal))
        {
            throw new JobStoreException(jobId, round, $"the checkpoint's model hash {hash} differs from the stored {storedHash}.", null);
        }

        if (!string.Equals(storedType, StrategyStateCodec.TagOf(decoded), StringComparison.Ordinal))
        {
            throw new JobStoreException(jobId, round, $"the checkpoint's state is '{StrategyStateCodec.TagOf(decoded)}' but is recorded as '{storedType}'.", null);
        }

        return new Checkpoint(jobId, new RoundNumber(round), new RoundNumber(modelRound), parameters, decoded, hash);
    }
}

/// <summary>The in-process cancellation watchers of a store (<see cref="IJobStore.WatchCancel"/>). Thread-safe.</summary>
public sealed class CancelWatchers
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<Action>> _watchers = new(StringComparer.Ordinal);

    /// <summary>Adds a watcher.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="onCancel">What to call.</param>
    /// <returns>Disposing it removes the watcher.</returns>
    public IDisposable Add(string jobId, Action onCancel)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        ArgumentNullException.ThrowIfNull(onCancel);
        lock (_gate)
        {
            if (!_watchers.TryGetValue(jobId, out List<Action>? list))
            {
                _watchers[jobId] = list = [];
            }

            list.Add(onCancel);
        }

        return new Unwatch(this, jobId, onCancel);
    }

    /// <summary>Calls the job's watchers (outside the lock, so a watcher may call the store).</summary>
    /// <param name="jobId">The job.</param>
    public void Notify(string jobId)
    {
        Action[] notify;
        lock (_gate)
        {
            notify = _watchers.TryGetValue(jobId, out List<Action>? list) ? [.. list] : [];
        }

        foreach (Action action in notify)
        {
            action();
        }
    }

    private sealed class Unwatch(CancelWatchers owner, string jobId, Action action) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate)
            {
                if (owner._watchers.TryGetValue(jobId, out List<Action>? list) && list.Remove(action) && list.Count == 0)
                {
                    owner._watchers.Remove(jobId);
                }
            }
        }
    }
}
