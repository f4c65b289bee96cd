using System.Globalization;
using System.Text.Json;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Learning;
using Microsoft.Data.Sqlite;

namespace Consortia.Federation.Jobs.Store;

/// <summary>
/// The coordinator's durable state in one SQLite file: jobs, their committed rounds and their checkpoints.
/// </summary>
/// <remarks>
/// <para>
/// The file runs in WAL mode with <c>synchronous = FULL</c> and foreign keys on; every change that touches more than one
/// row is one immediate transaction, so a process killed at any instant leaves either the whole change or none of it.
/// The schema is described in <c>docs/operations.md</c> ("Persistence and resume") and versioned in the
/// <c>schema_version</c> table; a file of a newer version is refused.
/// </para>
/// <para>
/// Invariants the store enforces: a job's rounds are exactly 1..n (a round is committed only as the successor of the
/// last one, and <c>PRIMARY KEY (job_id, round)</c> refuses a second copy); a round and its checkpoint are committed
/// together; state changes follow queued → running → completed | failed | cancelled, final states are final.
/// </para>
/// <para>Thread-safe: calls are serialised on the instance. Synchronous, because the store is a local file.</para>
/// </remarks>
public sealed class SqliteJobStore : IJobStore
{
    /// <summary>The schema version this build creates and reads.</summary>
    public const int SchemaVersion = 1;

    private const string JobColumns = """
        id, name, owner, yaml, total_rounds, (SELECT COUNT(*) FROM rounds r WHERE r.job_id = jobs.id),
        status, status_message, cancel_requested, attempts, submitted_at, updated_at
        """;

    private readonly SqliteConnection _connection;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly CancelWatchers _cancelWatchers = new();
    private bool _disposed;

    private SqliteJobStore(SqliteConnection connection, SqliteJobStoreOptions options, TimeProvider time)
    {
        _connection = connection;
        _time = time;
        Path = options.Path;
        CheckpointsToKeep = options.CheckpointsToKeep;
    }

    /// <summary>The SQLite file.</summary>
    public string Path { get; }

    /// <summary>Checkpoints kept per job (<see langword="null"/>: all).</summary>
    public int? CheckpointsToKeep { get; }

    /// <summary>Opens the store, creating the file and its schema if missing.</summary>
    /// <param name="options">The file and the checkpoint retention.</param>
    /// <param name="time">The clock for timestamps.</param>
    /// <returns>The open store.</returns>
    /// <exception cref="JobStoreException">The file is not a coordinator store, or of a newer schema version.</exception>
    public static SqliteJobStore Open(SqliteJobStoreOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        SqliteConnectionStringBuilder builder = new()
        {
            DataSource = options.Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
            ForeignKeys = true,
        };
        SqliteConnection connection = new(builder.ToString());
        try
        {
            connection.Open();
            Execute(connection, null, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000;");
            EnsureSchema(connection, options.Path, time);
            return new SqliteJobStore(connection, options, time);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Records a new job, queued.</summary>
    /// <param name="submission">The job's YAML and listing fields.</param>
    /// <returns>The stored job with its new id.</returns>
    public JobRecord SubmitJob(JobSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        ArgumentException.ThrowIfNullOrWhiteSpace(submission.Name);
        ArgumentNullException.ThrowIfNull(submission.YamlText);
        ArgumentOutOfRangeException.ThrowIfLessThan(submission.TotalRounds, 1);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            DateTimeOffset now = _time.GetUtcNow();
            string id = Guid.CreateVersion7(now).ToString("N");
            using SqliteCommand insert = Command(null, """
                INSERT INTO jobs (id, name, owner, yaml, total_rounds, status, status_message, cancel_requested, attempts, submitted_at, updated_at)
                VALUES ($id, $name, $owner, $yaml, $rounds, 'queued', NULL, 0, 0, $now, $now);
                """);
            insert.Parameters.AddWithValue("$id", id);
            insert.Parameters.AddWithValue("$name", submission.Name);
            insert.Parameters.AddWithValue("$owner", submission.Owner ?? "");
            insert.Parameters.AddWithValue("$yaml", submission.YamlText);
            insert.Parameters.AddWithValue("$rounds", submission.TotalRounds);
            insert.Parameters.AddWithValue("$now", FormatTime(now));
            insert.ExecuteNonQuery();
            return ReadJob(null, id) ?? throw new JobStoreException(id, null, "the job vanished right after it was inserted.", null);
        }
    }

    /// <summary>Lists every job in submission order.</summary>
    /// <returns>The jobs.</returns>
    public IReadOnlyList<JobRecord> ListJobs()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using SqliteCommand query = Command(null, $"SELECT {JobColumns} FROM jobs ORDER BY rowid;");
            return ReadJobs(query);
        }
    }

    /// <summary>Lists the jobs a restarted coordinator must take up: running ones first (they were interrupted), then queued ones, each in submission order.</summary>
    /// <returns>The jobs.</returns>
    public IReadOnlyList<JobRecord> ListIncompleteJobs()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using SqliteCommand query = Command(null, $"SELECT {JobColumns} FROM jobs WHERE status IN ('running', 'queued') ORDER BY status = 'queued', rowid;");
            return ReadJobs(query);
        }
    }

    /// <summary>Finds a job.</summary>
    /// <param name="jobId">The job id.</param>
    /// <returns>The job, or <see langword="null"/> if there is none with that id.</returns>
    public JobRecord? FindJob(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return ReadJob(null, jobId);
        }
    }


    /// <summary>The committed rounds of a job, in order (1..n).</summary>
    /// <param name="jobId">The job id.</param>
    /// <returns>The rounds.</returns>
    /// <exception cref="JobStoreException">A stored report cannot be read (named with its round).</exception>
    public IReadOnlyList<StoredRound> GetRounds(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using SqliteCommand query = Command(null, "SELECT round, report, completed_at FROM rounds WHERE job_id = $job ORDER BY round;");
            query.Parameters.AddWithValue("$job", jobId);
            using SqliteDataReader reader = query.ExecuteReader();
            List<StoredRound> rounds = [];
            while (reader.Read())
            {
                int round = reader.GetInt32(0);
                RoundReport report;
                try
                {
                    report = RoundReportJson.Deserialize(reader.GetString(1));
                }
                catch (Exception error) when (error is JsonException or FormatException or NotSupportedException)
                {
                    throw new JobStoreException(jobId, round, $"the stored round report cannot be read: {error.Message}", error);
                }

                if (report.Round.Value != round)
                {
                    throw new JobStoreException(jobId, round, $"the stored report is for round {report.Round.Value}.", null);
                }

                rounds.Add(new StoredRound(new RoundNumber(round), report, ParseTime(reader.GetString(2))));
            }

            return rounds;
        }
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
        byte[] model = StrategyStateCodec.EncodeVector(initial.Parameters);
        byte[] state = StrategyStateCodec.Encode(initialState);
        string hash = UpdateHash.Of(initial.Parameters.Values);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using SqliteTransaction transaction = _connection.BeginTransaction();
            JobRecord job = RequireJob(transaction, jobId);
            if (job.State is not (JobState.Queued or JobState.Running))
            {
                throw new JobStateException(jobId, job.State, "start");
            }

            string now = FormatTime(_time.GetUtcNow());
            using (SqliteCommand update = Command(transaction, "UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = $now WHERE id = $id;"))
            {
                update.Parameters.AddWithValue("$id", jobId);
                update.Parameters.AddWithValue("$now", now);
                update.ExecuteNonQuery();
            }

            using (SqliteCommand insert = Command(transaction, """
                INSERT INTO checkpoints (job_id, round, model_round, model, model_sha256, state_type, state, created_at)
                SELECT $id, 0, $modelRound, $model, $hash, $type, $state, $now
                WHERE NOT EXISTS (SELECT 1 FROM checkpoints WHERE job_id = $id);
                """))
            {
                insert.Parameters.AddWithValue("$id", jobId);
                insert.Parameters.AddWithValue("$modelRound", initial.Round.Value);
                insert.Parameters.AddWithValue("$model", model);
                insert.Parameters.AddWithValue("$hash", hash);
                insert.Parameters.AddWithValue("$type", StrategyStateCodec.TagOf(initialState));
                insert.Parameters.AddWithValue("$state", state);
                insert.Parameters.AddWithValue("$now", now);
                insert.ExecuteNonQuery();
            }

            JobRecord after = RequireJob(transaction, jobId);
            transaction.Commit();
            return after;
        }
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
        ArgumentNullException.ThrowIfNull(jobId);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(report);
        if (report.Round != round)
        {
            throw new JobStoreException(jobId, round.Value, $"the report is for round {report.Round.Value}.", null);
        }

        byte[] modelBlob = StrategyStateCodec.EncodeVector(model.Parameters);
        byte[] stateBlob = StrategyStateCodec.Encode(state);
        string hash = UpdateHash.Of(model.Parameters.Values);
        string json = RoundReportJson.Serialize(report);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using SqliteTransaction transaction = _connection.BeginTransaction();
            JobRecord job = RequireJob(transaction, jobId);
            if (job.State != JobState.Running)
            {
                throw new JobStateException(jobId, job.State, $"commit round {round.Value} of");
            }

            if (round.Value != job.RoundsCompleted + 1)
            {
                throw new JobStoreException(jobId, round.Value, $"cannot be committed: the last committed round is {job.RoundsCompleted}, so the next must be {job.RoundsCompleted + 1}.", null);
            }

            if (round.Value > job.TotalRounds)
            {
                throw new JobStoreException(jobId, round.Value, $"cannot be committed: the job has {job.TotalRounds} rounds.", null);
            }

            string now = FormatTime(_time.GetUtcNow());
            using (SqliteCommand insert = Command(transaction, "INSERT INTO rounds (job_id, round, report, completed_at) VALUES ($id, $round, $report, $now);"))
            {
                insert.Parameters.AddWithValue("$id", jobId);
                insert.Parameters.AddWithValue("$round", round.Value);
                insert.Parameters.AddWithValue("$report", json);
                insert.Parameters.AddWithValue("$now", now);
                insert.ExecuteNonQuery();
            }

            using (SqliteCommand insert = Command(transaction, """
                INSERT INTO checkpoints (job_id, round, model_round, model, model_sha256, state_type, state, created_at)
                VALUES ($id, $round, $modelRound, $model, $hash, $type, $state, $now);
                """))
            {
                insert.Parameters.AddWithValue("$id", jobId);
                insert.Parameters.AddWithValue("$round", round.Value);
                insert.Parameters.AddWithValue("$modelRound", model.Round.Value);
                insert.Parameters.AddWithValue("$model", modelBlob);
                insert.Parameters.AddWithValue("$hash", hash);
                insert.Parameters.AddWithValue("$type", StrategyStateCodec.TagOf(state));
                insert.Parameters.AddWithValue("$state", stateBlob);
                insert.Parameters.AddWithValue("$now", now);
                insert.ExecuteNonQuery();
            }

            if (CheckpointsToKeep is { } keep)
            {
                using SqliteCommand prune = Command(transaction, "DELETE FROM checkpoints WHERE job_id = $id AND round <= $round - $keep;");
                prune.Parameters.AddWithValue("$id", jobId);
                prune.Parameters.AddWithValue("$round", round.Value);
                prune.Parameters.AddWithValue("$keep", keep);
                prune.ExecuteNonQuery();
            }

            using (SqliteCommand touch = Command(transaction, "UPDATE jobs SET updated_at = $now WHERE id = $id;"))
            {
                touch.Parameters.AddWithValue("$id", jobId);
                touch.Parameters.AddWithValue("$now", now);
                touch.ExecuteNonQuery();
            }

            transaction.Commit();
        }
    }

    /// <summary>Loads the newest checkpoint of a job, checking its hashes.</summary>
    /// <param name="jobId">The job id.</param>
    /// <returns>The checkpoint, or <see langword="null"/> if the job has none (never started).</returns>
    /// <exception cref="JobStoreException">The checkpoint is corrupt, of an unknown state type, or does not match the job's committed rounds (named with job and round).</exception>
    public Checkpoint? LoadLatestCheckpoint(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            JobRecord job = RequireJob(null, jobId);
            using SqliteCommand query = Command(null, """
                SELECT round, model_round, model, model_sha256, state_type, state FROM checkpoints
                WHERE job_id = $id ORDER BY round DESC LIMIT 1;
                """);
            query.Parameters.AddWithValue("$id", jobId);
            using SqliteDataReader reader = query.ExecuteReader();
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
        }
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
    /// <exception cref="JobStateException">The job is already completed, failed or cancelled.</exception>
    public JobRecord MarkCancelled(string jobId, string? message = null) =>
        Transition(jobId, JobState.Cancelled, message, "cancel", static job => !job.IsFinal);

    /// <summary>
    /// An operator's cancellation: a queued job is cancelled at once; a running job is flagged and its runner stops
    /// (within the current round, through cancellation, or before the next) and marks it cancelled.
    /// </summary>
    /// <param name="jobId">The job id.</param>
    /// <returns>The job after the request.</returns>
    /// <exception cref="KeyNotFoundException">There is no such job.</exception>
    /// <exception cref="JobStateException">The job is already completed, failed or cancelled.</exception>
    public JobRecord RequestCancel(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        JobRecord after;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using SqliteTransaction transaction = _connection.BeginTransaction();
            JobRecord job = RequireJob(transaction, jobId);
            if (job.IsFinal)
            {
                throw new JobStateException(jobId, job.State, "cancel");
            }

            using (SqliteCommand update = Command(transaction, job.State == JobState.Queued
                ? "UPDATE jobs SET status = 'cancelled', status_message = 'cancelled before it started', cancel_requested = 1, updated_at = $now WHERE id = $id;"
                : "UPDATE jobs SET cancel_requested = 1, updated_at = $now WHERE id = $id;"))
            {
                update.Parameters.AddWithValue("$id", jobId);
                update.Parameters.AddWithValue("$now", FormatTime(_time.GetUtcNow()));
                update.ExecuteNonQuery();
            }

            after = RequireJob(transaction, jobId);
            transaction.Commit();
        }

        _cancelWatchers.Notify(jobId);
        return after;
    }


    /// <inheritdoc />
    public IDisposable WatchCancel(string jobId, Action onCancel) => _cancelWatchers.Add(jobId, onCancel);

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _connection.Dispose();
        }
    }

    private JobRecord Transition(string jobId, JobState to, string? message, string action, Func<JobRecord, bool> allowed)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using SqliteTransaction transaction = _connection.BeginTransaction();
            JobRecord job = RequireJob(transaction, jobId);
            if (!allowed(job))
            {
                throw job.State == JobState.Running && to == JobState.Completed
                    ? new JobStateException($"job {jobId}: cannot complete it with {job.RoundsCompleted} of {job.TotalRounds} rounds committed.")
                    : new JobStateException(jobId, job.State, action);
            }

            using (SqliteCommand update = Command(transaction, "UPDATE jobs SET status = $status, status_message = $message, updated_at = $now WHERE id = $id;"))
            {
                update.Parameters.AddWithValue("$id", jobId);
                update.Parameters.AddWithValue("$status", StoredJobs.Name(to));
                update.Parameters.AddWithValue("$message", (object?)message ?? DBNull.Value);
                update.Parameters.AddWithValue("$now", FormatTime(_time.GetUtcNow()));
                update.ExecuteNonQuery();
            }

            JobRecord after = RequireJob(transaction, jobId);
            transaction.Commit();
            return after;
        }
    }

    /// <inheritdoc />
    public void NoteError(string jobId, string message)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using SqliteCommand update = Command(null, "UPDATE jobs SET status_message = $message, updated_at = $now WHERE id = $id AND status = 'running';");
            update.Parameters.AddWithValue("$id", jobId);
            update.Parameters.AddWithValue("$message", message);
            update.Parameters.AddWithValue("$now", FormatTime(_time.GetUtcNow()));
            update.ExecuteNonQuery();
        }
    }

    private JobRecord RequireJob(SqliteTransaction? transaction, string jobId) =>
        ReadJob(transaction, jobId) ?? throw new KeyNotFoundException($"There is no job {jobId}.");

    private JobRecord? ReadJob(SqliteTransaction? transaction, string jobId)
    {
        using SqliteCommand query = Command(transaction, $"SELECT {JobColumns} FROM jobs WHERE id = $id;");
        query.Parameters.AddWithValue("$id", jobId);
        List<JobRecord> jobs = ReadJobs(query);
        return jobs.Count == 0 ? null : jobs[0];
    }

    private static List<JobRecord> ReadJobs(SqliteCommand query)
    {
        using SqliteDataReader reader = query.ExecuteReader();
        List<JobRecord> jobs = [];
        while (reader.Read())
        {
            string id = reader.GetString(0);
            JobState state = StoredJobs.ParseState(id, reader.GetString(6));
            jobs.Add(new JobRecord(
                id, reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4), reader.GetInt32(5), state,
                reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetInt64(8) != 0, reader.GetInt32(9),
                ParseTime(reader.GetString(10)), ParseTime(reader.GetString(11))));
        }

        return jobs;
    }

    private static void EnsureSchema(SqliteConnection connection, string path, TimeProvider time)
    {
        using SqliteTransaction transaction = connection.BeginTransaction();
        long tables;
        using (SqliteCommand count = Command(connection, transaction, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table';"))
        {
            tables = (long)count.ExecuteScalar()!;
        }

        if (tables == 0)
        {
            Execute(connection, transaction, """
                CREATE TABLE schema_version (
                    version INTEGER NOT NULL,
                    applied_at TEXT NOT NULL);
                CREATE TABLE jobs (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    yaml TEXT NOT NULL,
                    total_rounds INTEGER NOT NULL CHECK (total_rounds >= 1),
                    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
                    status_message TEXT NULL,
                    cancel_requested INTEGER NOT NULL CHECK (cancel_requested IN (0, 1)),
                    attempts INTEGER NOT NULL,
                    submitted_at TEXT NOT NULL,
                    updated_at TEXT NOT NULL);
                CREATE TABLE rounds (
                    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                    round INTEGER NOT NULL CHECK (round >= 1),
                    report TEXT NOT NULL,
                    completed_at TEXT NOT NULL,
                    PRIMARY KEY (job_id, round));
                CREATE TABLE checkpoints (
                    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                    round INTEGER NOT NULL CHECK (round >= 0),
                    model_round INTEGER NOT NULL,
                    model BLOB NOT NULL,
                    model_sha256 TEXT NOT NULL,
                    state_type TEXT NOT NULL,
                    state BLOB NOT NULL,
                    created_at TEXT NOT NULL,
                    PRIMARY KEY (job_id, round));
                """);
            using SqliteCommand version = Command(connection, transaction, "INSERT INTO schema_version (version, applied_at) VALUES ($v, $now);");
            version.Parameters.AddWithValue("$v", SchemaVersion);
            version.Parameters.AddWithValue("$now", FormatTime(time.GetUtcNow()));
            version.ExecuteNonQuery();
        }
        else
        {
            long found;
            try
            {
                using SqliteCommand version = Command(connection, transaction, "SELECT MAX(version) FROM schema_version;");
                found = version.ExecuteScalar() is long v ? v : 0;
            }
            catch (SqliteException error)
            {
                throw new JobStoreException($"'{path}' is not a coordinator store (it has no schema_version table).", error);
            }

            if (found != SchemaVersion)
            {
                throw new JobStoreException(found > SchemaVersion
                    ? $"'{path}' has schema version {found}, newer than this Consortia reads ({SchemaVersion}); upgrade the coordinator."
                    : $"'{path}' has schema version {found}; this Consortia reads version {SchemaVersion}.");
            }
        }

        transaction.Commit();
    }

    private SqliteCommand Command(SqliteTransaction? transaction, string sql) => Command(_connection, transaction, sql);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using SqliteCommand command = Command(connection, transaction, sql);
        command.ExecuteNonQuery();
    }

    private static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset ParseTime(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
