using System.Data;
using System.Data.Common;
using System.Text.Json;
using Consortia.Federation.Engine;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Learning;

namespace Consortia.Federation.Jobs.Store;

/// <summary>
/// The <see cref="IJobStore"/> rules once for every SQL database (SQLite, PostgreSQL): the statements, the transactions,
/// the state and round checks, checkpoint retention and the decoding of rows. A provider supplies only what differs:
/// how it connects and serialises calls, how it begins a transaction, how it stores time, and its SQL dialect bits.
/// </summary>
/// <remarks>
/// <para>
/// The schema (docs/operations.md, "Persistence and resume") has the tables <c>jobs</c>, <c>rounds</c> and
/// <c>checkpoints</c>; each provider creates and versions it. Invariants: a job's rounds are exactly 1..n (a round is
/// committed only as the successor of the last one, and <c>PRIMARY KEY (job_id, round)</c> refuses a second copy); a
/// round and its checkpoint are committed together; state changes follow queued → running → completed | failed |
/// cancelled, final states are final.
/// </para>
/// <para>
/// Every change is one transaction that first reads the job's row through <see cref="RowLock"/>, so a provider whose
/// database locks rows serialises concurrent changes of one job there.
/// </para>
/// </remarks>
public abstract class RelationalJobStore : IJobStore
{
    // Parameters are written @name: Microsoft.Data.Sqlite and Npgsql both accept that form.
    private const string JobColumns = """
        id, name, owner, yaml, total_rounds, CAST((SELECT COUNT(*) FROM rounds r WHERE r.job_id = jobs.id) AS INTEGER),
        status, status_message, cancel_requested, attempts, submitted_at, updated_at
        """;

    private const string InsertCheckpointColumns =
        "INSERT INTO checkpoints (job_id, round, model_round, model, model_sha256, state_type, state, created_at)";

    private readonly CancelWatchers _cancelWatchers = new();

    /// <summary>Initialises the shared part of a store.</summary>
    /// <param name="time">The clock for timestamps.</param>
    /// <param name="checkpointsToKeep">Checkpoints kept per job (<see langword="null"/>: all).</param>
    protected RelationalJobStore(TimeProvider time, int? checkpointsToKeep)
    {
        ArgumentNullException.ThrowIfNull(time);
        Time = time;
        CheckpointsToKeep = checkpointsToKeep;
    }

    /// <summary>Checkpoints kept per job (<see langword="null"/>: all).</summary>
    public int? CheckpointsToKeep { get; }

    /// <summary>The clock for timestamps.</summary>
    protected TimeProvider Time { get; }

    /// <summary>The column that orders jobs by submission (SQLite <c>rowid</c>, PostgreSQL an identity column).</summary>
    protected abstract string InsertionOrder { get; }

    /// <summary>What follows the job-row query inside a change to lock the row (<c> FOR UPDATE</c>), or empty where the provider serialises otherwise.</summary>
    protected abstract string RowLock { get; }

    /// <summary>Runs <paramref name="work"/> on an open connection, serialised as the provider needs; throws <see cref="ObjectDisposedException"/> once disposed.</summary>
    /// <typeparam name="T">The result.</typeparam>
    /// <param name="work">The work.</param>
    /// <returns>What <paramref name="work"/> returns.</returns>
    protected abstract T WithConnection<T>(Func<DbConnection, T> work);

    /// <summary>Begins a transaction on a connection from <see cref="WithConnection{T}"/>.</summary>
    /// <param name="connection">The connection.</param>
    /// <param name="isolation">The isolation a change asks for (a provider that serialises every call may ignore it).</param>
    /// <returns>The transaction.</returns>
    protected abstract DbTransaction BeginTransaction(DbConnection connection, IsolationLevel isolation);

    /// <summary>The value a timestamp is stored as.</summary>
    /// <param name="time">The time.</param>
    /// <returns>The parameter value.</returns>
    protected abstract object TimeValue(DateTimeOffset time);

    /// <summary>Reads a stored timestamp.</summary>
    /// <param name="reader">The reader.</param>
    /// <param name="ordinal">The column.</param>
    /// <returns>The time.</returns>
    protected abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    /// <summary>Turns a provider error while committing a round into the error to throw, or <see langword="null"/> to let it pass unchanged.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="round">The round being committed.</param>
    /// <param name="cause">The provider's error.</param>
    /// <returns>The error to throw instead, or <see langword="null"/>.</returns>
    protected virtual Exception? CommitFailure(string jobId, int round, DbException cause) => null;

    /// <summary>Records a new job, queued.</summary>
    /// <param name="submission">The job's YAML and listing fields.</param>
    /// <returns>The stored job with its new id.</returns>
    public JobRecord SubmitJob(JobSubmission submission)
    {
        StoredJobs.CheckSubmission(submission);
        return WithConnection(connection =>
        {
            DateTimeOffset now = Time.GetUtcNow();
            string id = Guid.CreateVersion7(now).ToString("N");
            Execute(connection, null, """
                INSERT INTO jobs (id, name, owner, yaml, total_rounds, status, status_message, cancel_requested, attempts, submitted_at, updated_at)
                VALUES (@id, @name, @owner, @yaml, @rounds, 'queued', NULL, FALSE, 0, @now, @now);
                """,
                ("@id", id), ("@name", submission.Name), ("@owner", submission.Owner ?? ""), ("@yaml", submission.YamlText),
                ("@rounds", submission.TotalRounds), ("@now", TimeValue(now)));
            return ReadJob(connection, null, id, lockRow: false) ?? throw new JobStoreException(id, null, "the job vanished right after it was inserted.", null);
        });
    }

    /// <summary>Lists every job in submission order.</summary>
    /// <returns>The jobs.</returns>
    public IReadOnlyList<JobRecord> ListJobs() =>
        WithConnection(connection => ReadJobs(connection, null, $"SELECT {JobColumns} FROM jobs ORDER BY {InsertionOrder};"));

    /// <summary>Lists the jobs a restarted coordinator must take up: running ones first (they were interrupted), then queued ones, each in submission order.</summary>
    /// <returns>The jobs.</returns>
    public IReadOnlyList<JobRecord> ListIncompleteJobs() =>
        WithConnection(connection => ReadJobs(connection, null, $"SELECT {JobColumns} FROM jobs WHERE status IN ('running', 'queued') ORDER BY status = 'queued', {InsertionOrder};"));

    /// <summary>Finds a job.</summary>
    /// <param name="jobId">The job id.</param>
    /// <returns>The job, or <see langword="null"/> if there is none with that id.</returns>
    public JobRecord? FindJob(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        return WithConnection(connection => ReadJob(connection, null, jobId, lockRow: false));
    }

    /// <summary>The committed rounds of a job, in order (1..n).</summary>
    /// <param name="jobId">The job id.</param>
    /// <returns>The rounds.</returns>
    /// <exception cref="JobStoreException">A stored report cannot be read, or is for another round (named with its round).</exception>
    public IReadOnlyList<StoredRound> GetRounds(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        return WithConnection(connection =>
        {
            using DbCommand query = Command(connection, null, "SELECT round, report, completed_at FROM rounds WHERE job_id = @id ORDER BY round;", ("@id", jobId));
            using DbDataReader reader = query.ExecuteReader();
            List<StoredRound> rounds = [];
            while (reader.Read())
            {
                int round = reader.GetInt32(0);
                RoundReport report;
                try
                {
                    report = RoundReportJson.Deserialize(reader.GetString(1));
                }
                catch (Exception error) when (error is JsonException or FormatException or NotSupportedException or ArgumentException)
                {
                    throw new JobStoreException(jobId, round, $"the stored round report cannot be read: {error.Message}", error);
                }

                if (report.Round.Value != round)
                {
                    throw new JobStoreException(jobId, round, $"the stored report is for round {report.Round.Value}.", null);
                }

                rounds.Add(new StoredRound(new RoundNumber(round), report, ReadTime(reader, 2)));
            }

            return rounds;
        });
    }

    /// <summary>
    /// Marks a job running (from queued, or again from running when a restarted coordinator resumes it), counts the
    /// attempt, and stores <paramref name="initial"/> as the round-0 checkpoint if the job has no checkpoint yet — all in
    /// one transaction.
    /// </summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="initial">The initial model.</param>
    /// <param name="initialState">The strategy's initial state.</param>
    /// <returns>The job after the change.</returns>
    /// <exception cref="KeyNotFoundException">There is no such job.</exception>
    /// <exception cref="JobStateException">The job is completed, failed or cancelled.</exception>
    public JobRecord MarkRunning(string jobId, GlobalModel initial, StrategyState initialState)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(initialState);
        (string Name, object? Value)[] checkpoint = CheckpointParameters(jobId, initial, initialState);
        return InJobTransaction(jobId, (connection, transaction, job) =>
        {
            if (job.State is not (JobState.Queued or JobState.Running))
            {
                throw new JobStateException(jobId, job.State, "start");
            }

            object now = TimeValue(Time.GetUtcNow());
            Execute(connection, transaction, "UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = @now WHERE id = @id;", ("@id", jobId), ("@now", now));
            Execute(connection, transaction, $"""
                {InsertCheckpointColumns}
                SELECT @id, 0, @modelRound, @model, @hash, @type, @state, @now
                WHERE NOT EXISTS (SELECT 1 FROM checkpoints WHERE job_id = @id);
                """,
                [.. checkpoint, ("@now", now)]);
            return RequireJob(connection, transaction, jobId);
        });
    }

    /// <summary>
    /// Commits a completed round: its report and the checkpoint after it, in one transaction, and prunes old
    /// checkpoints beyond <see cref="CheckpointsToKeep"/>.
    /// </summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="round">The round; must be the successor of the job's last committed round.</param>
    /// <param name="model">The model after the round.</param>
    /// <param name="state">The strategy state after the round.</param>
    /// <param name="report">The round's report (for <paramref name="round"/>).</param>
    /// <exception cref="KeyNotFoundException">There is no such job.</exception>
    /// <exception cref="JobStateException">The job is not running.</exception>
    /// <exception cref="JobStoreException">The round is not the next one (already committed, or a gap), or the report is for another round.</exception>
    public void CommitRound(string jobId, RoundNumber round, GlobalModel model, StrategyState state, RoundReport report)
    {
        StoredJobs.CheckCommitArguments(jobId, round, model, state, report);

        (string Name, object? Value)[] checkpoint = CheckpointParameters(jobId, model, state);
        string json = RoundReportJson.Serialize(report);
        try
        {
            InJobTransaction(jobId, (connection, transaction, job) =>
            {
                StoredJobs.CheckCommit(jobId, round.Value, job.State, job.RoundsCompleted, job.TotalRounds);
                object now = TimeValue(Time.GetUtcNow());
                Execute(connection, transaction, "INSERT INTO rounds (job_id, round, report, completed_at) VALUES (@id, @round, @report, @now);",
                    ("@id", jobId), ("@round", round.Value), ("@report", json), ("@now", now));
                Execute(connection, transaction, $"""
                    {InsertCheckpointColumns}
                    VALUES (@id, @round, @modelRound, @model, @hash, @type, @state, @now);
                    """,
                    [.. checkpoint, ("@round", round.Value), ("@now", now)]);
                if (CheckpointsToKeep is { } keep)
                {
                    Execute(connection, transaction, "DELETE FROM checkpoints WHERE job_id = @id AND round <= @oldest;", ("@id", jobId), ("@oldest", round.Value - keep));
                }

                Execute(connection, transaction, "UPDATE jobs SET updated_at = @now WHERE id = @id;", ("@id", jobId), ("@now", now));
                return 0;
            });
        }
        catch (DbException error) when (CommitFailure(jobId, round.Value, error) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>Loads the newest checkpoint of a job, checking its hashes.</summary>
    /// <param name="jobId">The job id.</param>
    /// <returns>The checkpoint, or <see langword="null"/> if the job has none (never started).</returns>
    /// <exception cref="JobStoreException">The checkpoint is corrupt, of an unknown state type, or does not match the job's committed rounds (named with job and round).</exception>
    public Checkpoint? LoadLatestCheckpoint(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        return WithConnection(connection =>
        {
            // One snapshot for the job and its checkpoint, so a commit landing in between cannot make them disagree.
            using DbTransaction transaction = BeginTransaction(connection, IsolationLevel.RepeatableRead);
            JobRecord job = RequireJob(connection, transaction, jobId);
            using DbCommand query = Command(connection, transaction, """
                SELECT round, model_round, model, model_sha256, state_type, state FROM checkpoints
                WHERE job_id = @id ORDER BY round DESC LIMIT 1;
                """, ("@id", jobId));
            using DbDataReader reader = query.ExecuteReader();
            if (!reader.Read())
            {
                if (job.RoundsCompleted > 0)
                {
                    throw new JobStoreException(jobId, job.RoundsCompleted, "the job has committed rounds but no checkpoint.", null);
                }

                return null;
            }

            int round = reader.GetInt32(0);
            if (round != job.RoundsCompleted)
            {
                throw new JobStoreException(jobId, round, $"the newest checkpoint does not match the last committed round ({job.RoundsCompleted}).", null);
            }

            return StoredJobs.ReadCheckpoint(
                jobId, round, reader.GetInt32(1),
                reader.GetValue(2) as byte[] ?? throw new JobStoreException(jobId, round, "the checkpoint cannot be read: the model column does not hold a blob.", null),
                reader.GetValue(5) as byte[] ?? throw new JobStoreException(jobId, round, "the checkpoint cannot be read: the state column does not hold a blob.", null),
                reader.GetString(3), reader.GetString(4));
        });
    }

    /// <summary>Marks a running job completed; every round must be committed.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="message">An optional message.</param>
    /// <returns>The job after the change.</returns>
    /// <exception cref="JobStateException">The job is not running, or not every round is committed.</exception>
    public JobRecord MarkCompleted(string jobId, string? message = null) =>
        Transition(jobId, JobState.Completed, message, "complete", static job => job.State == JobState.Running && job.RoundsCompleted == job.TotalRounds);

    /// <summary>Marks a queued or running job failed.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="message">Why.</param>
    /// <returns>The job after the change.</returns>
    /// <exception cref="JobStateException">The job is already completed, failed or cancelled.</exception>
    public JobRecord MarkFailed(string jobId, string message) =>
        Transition(jobId, JobState.Failed, message, "fail", static job => !job.IsFinal);

    /// <summary>Marks a queued or running job cancelled (the runner calls this when it stops at a cancellation request).</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="message">Why, or <see langword="null"/>.</param>
    /// <returns>The job after the change.</returns>
    /// <exception cref="JobStateException">The job is already completed, failed or refused.</exception>
    public JobRecord MarkCancelled(string jobId, string? message = null) =>
        Transition(jobId, JobState.Cancelled, message, "cancel", static job => !job.IsFinal, unchangedIf: JobState.Cancelled);

    /// <summary>Marks a queued or running job refused by every site.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="message">Each site's refusal with its rule.</param>
    /// <returns>The job after the change.</returns>
    /// <exception cref="JobStateException">The job has already ended.</exception>
    public JobRecord MarkRefused(string jobId, string message) =>
        Transition(jobId, JobState.Refused, message, "refuse", static job => !job.IsFinal);

    /// <summary>
    /// An operator's cancellation: a queued job is cancelled at once; a running job is flagged and its runner stops
    /// (within the current round, through cancellation, or before the next) and marks it cancelled.
    /// </summary>
    /// <param name="jobId">The job id.</param>
    /// <returns>The job after the request.</returns>
    /// <exception cref="KeyNotFoundException">There is no such job.</exception>
    /// <exception cref="JobStateException">The job has already ended otherwise: completed, failed or refused.</exception>
    public JobRecord RequestCancel(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        JobRecord after = InJobTransaction(jobId, (connection, transaction, job) =>
        {
            if (job.State == JobState.Cancelled)
            {
                return job;
            }

            if (job.IsFinal)
            {
                throw new JobStateException(jobId, job.State, "cancel");
            }

            Execute(connection, transaction, job.State == JobState.Queued
                ? "UPDATE jobs SET status = 'cancelled', status_message = 'cancelled before it started', cancel_requested = TRUE, updated_at = @now WHERE id = @id;"
                : "UPDATE jobs SET cancel_requested = TRUE, updated_at = @now WHERE id = @id;",
                ("@id", jobId), ("@now", TimeValue(Time.GetUtcNow())));
            return RequireJob(connection, transaction, jobId);
        });

        // Outside the transaction (and any provider lock): a watcher may call back into the store.
        _cancelWatchers.Notify(jobId);
        return after;
    }

    /// <inheritdoc />
    public IDisposable WatchCancel(string jobId, Action onCancel) => _cancelWatchers.Add(jobId, onCancel);

    /// <inheritdoc />
    public void NoteError(string jobId, string message)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        WithConnection(connection => Execute(connection, null, "UPDATE jobs SET status_message = @message, updated_at = @now WHERE id = @id AND status IN ('queued', 'running');",
            ("@id", jobId), ("@message", string.IsNullOrEmpty(message) ? null : message), ("@now", TimeValue(Time.GetUtcNow()))));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Closes the provider's connections.</summary>
    /// <param name="disposing"><see langword="true"/> from <see cref="Dispose()"/>.</param>
    protected abstract void Dispose(bool disposing);

    private static (string Name, object? Value)[] CheckpointParameters(string jobId, GlobalModel model, StrategyState state) =>
    [
        ("@id", jobId),
        ("@modelRound", model.Round.Value),
        ("@model", StrategyStateCodec.EncodeVector(model.Parameters)),
        ("@hash", UpdateHash.Of(model.Parameters.Values)),
        ("@type", StrategyStateCodec.TagOf(state)),
        ("@state", StrategyStateCodec.Encode(state)),
    ];

    private JobRecord Transition(string jobId, JobState to, string? message, string action, Func<JobRecord, bool> allowed, JobState? unchangedIf = null)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        return InJobTransaction(jobId, (connection, transaction, job) =>
        {
            if (job.State == unchangedIf)
            {
                return job;
            }

            if (!allowed(job))
            {
                throw job.State == JobState.Running && to == JobState.Completed
                    ? new JobStateException($"job {jobId}: cannot complete it with {job.RoundsCompleted} of {job.TotalRounds} rounds committed.")
                    : new JobStateException(jobId, job.State, action);
            }

            Execute(connection, transaction, "UPDATE jobs SET status = @status, status_message = @message, updated_at = @now WHERE id = @id;",
                ("@id", jobId), ("@status", StoredJobs.Name(to)), ("@message", message), ("@now", TimeValue(Time.GetUtcNow())));
            return RequireJob(connection, transaction, jobId);
        });
    }

    /// <summary>Runs <paramref name="change"/> in one transaction that first reads (and, where the provider can, locks) the job's row; commits when it returns.</summary>
    private T InJobTransaction<T>(string jobId, Func<DbConnection, DbTransaction, JobRecord, T> change) =>
        WithConnection(connection =>
        {
            using DbTransaction transaction = BeginTransaction(connection, IsolationLevel.ReadCommitted);
            JobRecord job = ReadJob(connection, transaction, jobId, lockRow: true) ?? throw new KeyNotFoundException($"There is no job {jobId}.");
            T result = change(connection, transaction, job);
            transaction.Commit();
            return result;
        });

    private JobRecord RequireJob(DbConnection connection, DbTransaction transaction, string jobId) =>
        ReadJob(connection, transaction, jobId, lockRow: false) ?? throw new KeyNotFoundException($"There is no job {jobId}.");

    private JobRecord? ReadJob(DbConnection connection, DbTransaction? transaction, string jobId, bool lockRow)
    {
        List<JobRecord> jobs = ReadJobs(connection, transaction, $"SELECT {JobColumns} FROM jobs WHERE id = @id{(lockRow ? RowLock : "")};", ("@id", jobId));
        return jobs.Count == 0 ? null : jobs[0];
    }

    private List<JobRecord> ReadJobs(DbConnection connection, DbTransaction? transaction, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using DbCommand query = Command(connection, transaction, sql, parameters);
        using DbDataReader reader = query.ExecuteReader();
        List<JobRecord> jobs = [];
        while (reader.Read())
        {
            string id = reader.GetString(0);
            JobState state = StoredJobs.ParseState(id, reader.GetString(6));
            jobs.Add(new JobRecord(
                id, reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4), reader.GetInt32(5), state,
                reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetBoolean(8), reader.GetInt32(9),
                ReadTime(reader, 10), ReadTime(reader, 11)));
        }

        return jobs;
    }

    private static int Execute(DbConnection connection, DbTransaction? transaction, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        using DbCommand command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params ReadOnlySpan<(string Name, object? Value)> parameters)
    {
        DbCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach ((string name, object? value) in parameters)
        {
            DbParameter parameter = command.CreateParameter();
            parameter.ParameterName = name;
            parameter.Value = value ?? DBNull.Value;
            if (value is null)
            {
                // A null carries no type; the only nullable column written is text (status_message).
                parameter.DbType = DbType.String;
            }

            command.Parameters.Add(parameter);
        }

        return command;
    }
}
