using System.Data;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Learning;
using Npgsql;
using NpgsqlTypes;

namespace Consortia.Stores.PostgreSql;

/// <summary>
/// The coordinator's durable state in a PostgreSQL database: jobs, their committed rounds and their checkpoints, for
/// coordinators that outgrow one SQLite file or run an active and a standby replica (see <see cref="CoordinatorLock"/>).
/// </summary>
/// <remarks>
/// <para>
/// The same schema and invariants as <see cref="SqliteJobStore"/> (docs/operations.md, "Persistence and resume"): a
/// job's rounds are exactly 1..n (<c>PRIMARY KEY (job_id, round)</c> refuses a second copy, and a round is committed
/// only as the successor of the last one); a round and its checkpoint are committed in one transaction; final states are
/// final. The schema is versioned in <c>schema_version</c>; a database of a newer version is refused.
/// </para>
/// <para>
/// Thread-safe and safe across processes: every change is one transaction that first locks the job's row
/// (<c>SELECT … FOR UPDATE</c>), so concurrent commits of one job are serialised by the database, not by this
/// instance, and commits of different jobs proceed in parallel on pooled connections.
/// </para>
/// </remarks>
public sealed class PostgresJobStore : IJobStore
{
    /// <summary>The schema version this build creates and reads.</summary>
    public const int SchemaVersion = 1;

    private const string JobColumns = """
        id, name, owner, yaml, total_rounds, (SELECT COUNT(*) FROM rounds r WHERE r.job_id = jobs.id)::integer,
        status, status_message, cancel_requested, attempts, submitted_at, updated_at
        """;

    private readonly NpgsqlDataSource _source;
    private readonly TimeProvider _time;
    private readonly CancelWatchers _cancelWatchers = new();
    private volatile bool _disposed;

    private PostgresJobStore(NpgsqlDataSource source, PostgresJobStoreOptions options, TimeProvider time)
    {
        _source = source;
        _time = time;
        CheckpointsToKeep = options.CheckpointsToKeep;
        Description = PostgresJobStoreOptions.Describe(options.ConnectionString);
    }

    /// <summary>Where the store is (host, port, database, user; never the password).</summary>
    public string Description { get; }

    /// <summary>Checkpoints kept per job (<see langword="null"/>: all).</summary>
    public int? CheckpointsToKeep { get; }

    /// <summary>Connects, and creates the schema if the database has none.</summary>
    /// <param name="options">The connection string and the checkpoint retention.</param>
    /// <param name="time">The clock for timestamps.</param>
    /// <returns>The open store.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="JobStoreException">The database cannot be reached, is not a coordinator store, or is of another schema version.</exception>
    public static PostgresJobStore Open(PostgresJobStoreOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        string where = PostgresJobStoreOptions.Describe(options.ConnectionString);
        NpgsqlDataSource source = NpgsqlDataSource.Create(options.ConnectionString);
        try
        {
            EnsureSchema(source, where, time);
            return new PostgresJobStore(source, options, time);
        }
        catch (NpgsqlException error)
        {
            source.Dispose();
            throw new JobStoreException($"PostgreSQL store ({where}): {error.Message}", error);
        }
        catch
        {
            source.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public JobRecord SubmitJob(JobSubmission submission)
    {
        ArgumentNullException.ThrowIfNull(submission);
        ArgumentException.ThrowIfNullOrWhiteSpace(submission.Name);
        ArgumentNullException.ThrowIfNull(submission.YamlText);
        ArgumentOutOfRangeException.ThrowIfLessThan(submission.TotalRounds, 1);
        ObjectDisposedException.ThrowIf(_disposed, this);
        DateTimeOffset now = _time.GetUtcNow();
        string id = Guid.CreateVersion7(now).ToString("N");
        using NpgsqlConnection connection = _source.OpenConnection();
        using NpgsqlCommand insert = Command(connection, null, """
            INSERT INTO jobs (id, name, owner, yaml, total_rounds, status, status_message, cancel_requested, attempts, submitted_at, updated_at)
            VALUES (@id, @name, @owner, @yaml, @rounds, 'queued', NULL, FALSE, 0, @now, @now);
            """);
        insert.Parameters.AddWithValue("id", id);
        insert.Parameters.AddWithValue("name", submission.Name);
        insert.Parameters.AddWithValue("owner", submission.Owner ?? "");
        insert.Parameters.AddWithValue("yaml", submission.YamlText);
        insert.Parameters.AddWithValue("rounds", submission.TotalRounds);
        insert.Parameters.AddWithValue("now", Utc(now));
        insert.ExecuteNonQuery();
        return ReadJob(connection, null, id, forUpdate: false) ?? throw new JobStoreException(id, null, "the job vanished right after it was inserted.", null);
    }

    /// <inheritdoc />
    public IReadOnlyList<JobRecord> ListJobs()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using NpgsqlConnection connection = _source.OpenConnection();
        using NpgsqlCommand query = Command(connection, null, $"SELECT {JobColumns} FROM jobs ORDER BY seq;");
        return ReadJobs(query);
    }

    /// <inheritdoc />
    public IReadOnlyList<JobRecord> ListIncompleteJobs()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using NpgsqlConnection connection = _source.OpenConnection();
        using NpgsqlCommand query = Command(connection, null, $"SELECT {JobColumns} FROM jobs WHERE status IN ('running', 'queued') ORDER BY status = 'queued', seq;");
        return ReadJobs(query);
    }

    /// <inheritdoc />
    public JobRecord? FindJob(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using NpgsqlConnection connection = _source.OpenConnection();
        return ReadJob(connection, null, jobId, forUpdate: false);
    }

    /// <inheritdoc />
    public IReadOnlyList<StoredRound> GetRounds(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using NpgsqlConnection connection = _source.OpenConnection();
        using NpgsqlCommand query = Command(connection, null, "SELECT round, report, completed_at FROM rounds WHERE job_id = @id ORDER BY round;");
        query.Parameters.AddWithValue("id", jobId);
        using NpgsqlDataReader reader = query.ExecuteReader();
        List<StoredRound> rounds = [];
        while (reader.Read())
        {
            int round = reader.GetInt32(0);
            RoundReport report;
            try
            {
                report = RoundReportJson.Deserialize(reader.GetString(1));
            }
            catch (Exception error) when (error is System.Text.Json.JsonException or FormatException or ArgumentException)
            {
                throw new JobStoreException(jobId, round, $"the stored report cannot be read: {error.Message}", error);
            }

            rounds.Add(new StoredRound(new RoundNumber(round), report, reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return rounds;
    }

    /// <inheritdoc />
    public JobRecord MarkRunning(string jobId, GlobalModel initial, StrategyState initialState)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(initialState);
        byte[] model = StrategyStateCodec.EncodeVector(initial.Parameters);
        byte[] state = StrategyStateCodec.Encode(initialState);
        string hash = UpdateHash.Of(initial.Parameters.Values);
        return InJobTransaction(jobId, (connection, transaction, job) =>
        {
            if (job.State is not (JobState.Queued or JobState.Running))
            {
                throw new JobStateException(jobId, job.State, "start");
            }

            DateTimeOffset now = Utc(_time.GetUtcNow());
            using (NpgsqlCommand update = Command(connection, transaction, "UPDATE jobs SET status = 'running', attempts = attempts + 1, updated_at = @now WHERE id = @id;"))
            {
                update.Parameters.AddWithValue("id", jobId);
                update.Parameters.AddWithValue("now", now);
                update.ExecuteNonQuery();
            }

            using (NpgsqlCommand insert = Command(connection, transaction, """
                INSERT INTO checkpoints (job_id, round, model_round, model, model_sha256, state_type, state, created_at)
                SELECT @id, 0, @modelRound, @model, @hash, @type, @state, @now
                WHERE NOT EXISTS (SELECT 1 FROM checkpoints WHERE job_id = @id);
                """))
            {
                AddCheckpointParameters(insert, jobId, initial.Round.Value, model, hash, StrategyStateCodec.TagOf(initialState), state, now);
                insert.ExecuteNonQuery();
            }

            return RequireJob(connection, transaction, jobId);
        });
    }

    /// <inheritdoc />
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
        try
        {
            InJobTransaction(jobId, (connection, transaction, job) =>
            {
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

                DateTimeOffset now = Utc(_time.GetUtcNow());
                using (NpgsqlCommand insert = Command(connection, transaction, "INSERT INTO rounds (job_id, round, report, completed_at) VALUES (@id, @round, @report, @now);"))
                {
                    insert.Parameters.AddWithValue("id", jobId);
                    insert.Parameters.AddWithValue("round", round.Value);
                    insert.Parameters.AddWithValue("report", json);
                    insert.Parameters.AddWithValue("now", now);
                    insert.ExecuteNonQuery();
                }

                using (NpgsqlCommand insert = Command(connection, transaction, """
                    INSERT INTO checkpoints (job_id, round, model_round, model, model_sha256, state_type, state, created_at)
                    VALUES (@id, @round, @modelRound, @model, @hash, @type, @state, @now);
                    """))
                {
                    AddCheckpointParameters(insert, jobId, model.Round.Value, modelBlob, hash, StrategyStateCodec.TagOf(state), stateBlob, now);
                    insert.Parameters.AddWithValue("round", round.Value);
                    insert.ExecuteNonQuery();
                }

                if (CheckpointsToKeep is { } keep)
                {
                    using NpgsqlCommand prune = Command(connection, transaction, "DELETE FROM checkpoints WHERE job_id = @id AND round <= @oldest;");
                    prune.Parameters.AddWithValue("id", jobId);
                    prune.Parameters.AddWithValue("oldest", round.Value - keep);
                    prune.ExecuteNonQuery();
                }

                using (NpgsqlCommand touch = Command(connection, transaction, "UPDATE jobs SET updated_at = @now WHERE id = @id;"))
                {
                    touch.Parameters.AddWithValue("id", jobId);
                    touch.Parameters.AddWithValue("now", now);
                    touch.ExecuteNonQuery();
                }

                return 0;
            });
        }
        catch (PostgresException error) when (error.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // Only reachable if the row lock was bypassed (a hand-edited database): the key still refuses a second copy.
            throw new JobStoreException(jobId, round.Value, "is already committed (the database refused a second copy).", error);
        }
        catch (NpgsqlException error)
        {
            throw new JobStoreException(jobId, round.Value, $"the commit failed and nothing of it was stored: {error.Message}", error);
        }
    }

    /// <inheritdoc />
    public Checkpoint? LoadLatestCheckpoint(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using NpgsqlConnection connection = _source.OpenConnection();
        // One snapshot for the job and its checkpoint, so a commit landing in between cannot make them disagree.
        using NpgsqlTransaction transaction = connection.BeginTransaction(IsolationLevel.RepeatableRead);
        JobRecord job = RequireJob(connection, transaction, jobId);
        using NpgsqlCommand query = Command(connection, transaction, """
            SELECT round, model_round, model, model_sha256, state_type, state FROM checkpoints
            WHERE job_id = @id ORDER BY round DESC LIMIT 1;
            """);
        query.Parameters.AddWithValue("id", jobId);
        using NpgsqlDataReader reader = query.ExecuteReader();
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

        return StoredJobs.ReadCheckpoint(jobId, round, reader.GetInt32(1), reader.GetFieldValue<byte[]>(2), reader.GetFieldValue<byte[]>(5), reader.GetString(3), reader.GetString(4));
    }

    /// <inheritdoc />
    public JobRecord MarkCompleted(string jobId, string? message = null) =>
        Transition(jobId, JobState.Completed, message, "complete", static job => job.State == JobState.Running && job.RoundsCompleted == job.TotalRounds);

    /// <inheritdoc />
    public JobRecord MarkFailed(string jobId, string message) =>
        Transition(jobId, JobState.Failed, message, "fail", static job => !job.IsFinal);

    /// <inheritdoc />
    public JobRecord MarkCancelled(string jobId, string? message = null) =>
        Transition(jobId, JobState.Cancelled, message, "cancel", static job => !job.IsFinal);

    /// <inheritdoc />
    public JobRecord RequestCancel(string jobId)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        JobRecord after = InJobTransaction(jobId, (connection, transaction, job) =>
        {
            if (job.IsFinal)
            {
                throw new JobStateException(jobId, job.State, "cancel");
            }

            using (NpgsqlCommand update = Command(connection, transaction, job.State == JobState.Queued
                ? "UPDATE jobs SET status = 'cancelled', status_message = 'cancelled before it started', cancel_requested = TRUE, updated_at = @now WHERE id = @id;"
                : "UPDATE jobs SET cancel_requested = TRUE, updated_at = @now WHERE id = @id;"))
            {
                update.Parameters.AddWithValue("id", jobId);
                update.Parameters.AddWithValue("now", Utc(_time.GetUtcNow()));
                update.ExecuteNonQuery();
            }

            return RequireJob(connection, transaction, jobId);
        });

        _cancelWatchers.Notify(jobId);
        return after;
    }

    /// <inheritdoc />
    public IDisposable WatchCancel(string jobId, Action onCancel) => _cancelWatchers.Add(jobId, onCancel);

    /// <inheritdoc />
    public void NoteError(string jobId, string message)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using NpgsqlConnection connection = _source.OpenConnection();
        using NpgsqlCommand update = Command(connection, null, "UPDATE jobs SET status_message = @message, updated_at = @now WHERE id = @id AND status = 'running';");
        update.Parameters.AddWithValue("id", jobId);
        update.Parameters.AddWithValue("message", message);
        update.Parameters.AddWithValue("now", Utc(_time.GetUtcNow()));
        update.ExecuteNonQuery();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _source.Dispose();
    }

    private JobRecord Transition(string jobId, JobState to, string? message, string action, Func<JobRecord, bool> allowed)
    {
        ArgumentNullException.ThrowIfNull(jobId);
        return InJobTransaction(jobId, (connection, transaction, job) =>
        {
            if (!allowed(job))
            {
                throw job.State == JobState.Running && to == JobState.Completed
                    ? new JobStateException($"job {jobId}: cannot complete it with {job.RoundsCompleted} of {job.TotalRounds} rounds committed.")
                    : new JobStateException(jobId, job.State, action);
            }

            using (NpgsqlCommand update = Command(connection, transaction, "UPDATE jobs SET status = @status, status_message = @message, updated_at = @now WHERE id = @id;"))
            {
                update.Parameters.AddWithValue("id", jobId);
                update.Parameters.AddWithValue("status", StoredJobs.Name(to));
                update.Parameters.Add(new NpgsqlParameter("message", NpgsqlDbType.Text) { Value = (object?)message ?? DBNull.Value });
                update.Parameters.AddWithValue("now", Utc(_time.GetUtcNow()));
                update.ExecuteNonQuery();
            }

            return RequireJob(connection, transaction, jobId);
        });
    }

    /// <summary>Runs <paramref name="change"/> in one transaction holding the job's row lock; commits when it returns.</summary>
    private T InJobTransaction<T>(string jobId, Func<NpgsqlConnection, NpgsqlTransaction, JobRecord, T> change)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using NpgsqlConnection connection = _source.OpenConnection();
        using NpgsqlTransaction transaction = connection.BeginTransaction(IsolationLevel.ReadCommitted);
        JobRecord job = ReadJob(connection, transaction, jobId, forUpdate: true) ?? throw new KeyNotFoundException($"There is no job {jobId}.");
        T result = change(connection, transaction, job);
        transaction.Commit();
        return result;
    }

    private static void AddCheckpointParameters(NpgsqlCommand command, string jobId, int modelRound, byte[] model, string hash, string type, byte[] state, DateTimeOffset now)
    {
        command.Parameters.AddWithValue("id", jobId);
        command.Parameters.AddWithValue("modelRound", modelRound);
        command.Parameters.AddWithValue("model", model);
        command.Parameters.AddWithValue("hash", hash);
        command.Parameters.AddWithValue("type", type);
        command.Parameters.AddWithValue("state", state);
        command.Parameters.AddWithValue("now", now);
    }

    private static JobRecord RequireJob(NpgsqlConnection connection, NpgsqlTransaction transaction, string jobId) =>
        ReadJob(connection, transaction, jobId, forUpdate: false) ?? throw new KeyNotFoundException($"There is no job {jobId}.");

    private static JobRecord? ReadJob(NpgsqlConnection connection, NpgsqlTransaction? transaction, string jobId, bool forUpdate)
    {
        using NpgsqlCommand query = Command(connection, transaction, $"SELECT {JobColumns} FROM jobs WHERE id = @id{(forUpdate ? " FOR UPDATE" : "")};");
        query.Parameters.AddWithValue("id", jobId);
        List<JobRecord> jobs = ReadJobs(query);
        return jobs.Count == 0 ? null : jobs[0];
    }

    private static List<JobRecord> ReadJobs(NpgsqlCommand query)
    {
        using NpgsqlDataReader reader = query.ExecuteReader();
        List<JobRecord> jobs = [];
        while (reader.Read())
        {
            string id = reader.GetString(0);
            JobState state = StoredJobs.ParseState(id, reader.GetString(6));
            jobs.Add(new JobRecord(
                id, reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4), reader.GetInt32(5), state,
                reader.IsDBNull(7) ? null : reader.GetString(7), reader.GetBoolean(8), reader.GetInt32(9),
                reader.GetFieldValue<DateTimeOffset>(10), reader.GetFieldValue<DateTimeOffset>(11)));
        }

        return jobs;
    }

    private static void EnsureSchema(NpgsqlDataSource source, string where, TimeProvider time)
    {
        using NpgsqlConnection connection = source.OpenConnection();
        using NpgsqlTransaction transaction = connection.BeginTransaction();
        // Two replicas starting at once must not both create the tables: the first creates, the second then reads the version.
        using (NpgsqlCommand serialise = Command(connection, transaction, "SELECT pg_advisory_xact_lock(@key);"))
        {
            serialise.Parameters.AddWithValue("key", LockKeys.Schema);
            serialise.ExecuteNonQuery();
        }

        bool hasVersion, hasJobs;
        using (NpgsqlCommand probe = Command(connection, transaction, "SELECT to_regclass('schema_version') IS NOT NULL, to_regclass('jobs') IS NOT NULL;"))
        using (NpgsqlDataReader reader = probe.ExecuteReader())
        {
            reader.Read();
            hasVersion = reader.GetBoolean(0);
            hasJobs = reader.GetBoolean(1);
        }

        if (!hasVersion && hasJobs)
        {
            throw new JobStoreException($"PostgreSQL store ({where}) is not a coordinator store: it has a 'jobs' table but no schema_version table.");
        }

        if (!hasVersion)
        {
            using (NpgsqlCommand create = Command(connection, transaction, """
                CREATE TABLE schema_version (
                    version INTEGER NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL);
                CREATE TABLE jobs (
                    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    owner TEXT NOT NULL,
                    yaml TEXT NOT NULL,
                    total_rounds INTEGER NOT NULL CHECK (total_rounds >= 1),
                    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
                    status_message TEXT NULL,
                    cancel_requested BOOLEAN NOT NULL,
                    attempts INTEGER NOT NULL,
                    submitted_at TIMESTAMPTZ NOT NULL,
                    updated_at TIMESTAMPTZ NOT NULL);
                CREATE TABLE rounds (
                    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                    round INTEGER NOT NULL CHECK (round >= 1),
                    report TEXT NOT NULL,
                    completed_at TIMESTAMPTZ NOT NULL,
                    PRIMARY KEY (job_id, round));
                CREATE TABLE checkpoints (
                    job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
                    round INTEGER NOT NULL CHECK (round >= 0),
                    model_round INTEGER NOT NULL,
                    model BYTEA NOT NULL,
                    model_sha256 TEXT NOT NULL,
                    state_type TEXT NOT NULL,
                    state BYTEA NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL,
                    PRIMARY KEY (job_id, round));
                """))
            {
                create.ExecuteNonQuery();
            }

            using NpgsqlCommand version = Command(connection, transaction, "INSERT INTO schema_version (version, applied_at) VALUES (@v, @now);");
            version.Parameters.AddWithValue("v", SchemaVersion);
            version.Parameters.AddWithValue("now", Utc(time.GetUtcNow()));
            version.ExecuteNonQuery();
        }
        else
        {
            using NpgsqlCommand version = Command(connection, transaction, "SELECT MAX(version) FROM schema_version;");
            int found = version.ExecuteScalar() is int v ? v : 0;
            if (found != SchemaVersion)
            {
                throw new JobStoreException(found > SchemaVersion
                    ? $"PostgreSQL store ({where}) has schema version {found}, newer than this Consortia reads ({SchemaVersion}); upgrade the coordinator."
                    : $"PostgreSQL store ({where}) has schema version {found}; this Consortia reads version {SchemaVersion}.");
            }
        }

        transaction.Commit();
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql) =>
        new(sql, connection, transaction);

    private static DateTimeOffset Utc(DateTimeOffset time) => time.ToUniversalTime();
}
