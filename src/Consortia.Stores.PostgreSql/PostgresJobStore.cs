using System.Data;
using System.Data.Common;
using Consortia.Federation.Jobs.Store;
using Npgsql;

namespace Consortia.Stores.PostgreSql;

/// <summary>
/// The coordinator's durable state in a PostgreSQL database: jobs, their committed rounds and their checkpoints, for
/// coordinators that outgrow one SQLite file or run an active and a standby replica (see <see cref="CoordinatorLock"/>).
/// </summary>
/// <remarks>
/// <para>
/// The same schema, statements and invariants as <see cref="SqliteJobStore"/>, shared in <see cref="RelationalJobStore"/>
/// (docs/operations.md, "Persistence and resume"); this class connects, creates and versions the schema. The schema is
/// versioned in <c>schema_version</c>; a database of a newer version is refused.
/// </para>
/// <para>
/// Thread-safe and safe across processes: every change is one transaction that first locks the job's row
/// (<c>SELECT … FOR UPDATE</c>), so concurrent commits of one job are serialised by the database, not by this
/// instance, and commits of different jobs proceed in parallel on pooled connections.
/// </para>
/// </remarks>
public sealed class PostgresJobStore : RelationalJobStore
{
    /// <summary>The schema version this build creates and reads.</summary>
    /// <remarks>Version 2 added the <c>refused</c> job state; a version-1 database is upgraded in place when opened.</remarks>
    public const int SchemaVersion = 2;

    private readonly NpgsqlDataSource _source;
    private volatile bool _disposed;

    private PostgresJobStore(NpgsqlDataSource source, PostgresJobStoreOptions options, TimeProvider time)
        : base(time, options.CheckpointsToKeep)
    {
        _source = source;
        Description = PostgresJobStoreOptions.Describe(options.ConnectionString);
    }

    /// <summary>Where the store is (host, port, database, user; never the password).</summary>
    public string Description { get; }

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
    /// <remarks>An identity column: PostgreSQL has no stable row order of its own.</remarks>
    protected override string InsertionOrder => "seq";

    /// <inheritdoc />
    protected override string RowLock => " FOR UPDATE";

    /// <inheritdoc />
    /// <remarks>A pooled connection per call: the database, not this instance, serialises changes of one job.</remarks>
    protected override T WithConnection<T>(Func<DbConnection, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        ObjectDisposedException.ThrowIf(_disposed, this);
        using NpgsqlConnection connection = _source.OpenConnection();
        return work(connection);
    }

    /// <inheritdoc />
    protected override DbTransaction BeginTransaction(DbConnection connection, IsolationLevel isolation)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.BeginTransaction(isolation);
    }

    /// <inheritdoc />
    protected override object TimeValue(DateTimeOffset time) => Utc(time);

    /// <inheritdoc />
    protected override DateTimeOffset ReadTime(DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return reader.GetFieldValue<DateTimeOffset>(ordinal);
    }

    /// <inheritdoc />
    protected override Exception? CommitFailure(string jobId, int round, DbException cause) => cause switch
    {
        // Only reachable if the row lock was bypassed (a hand-edited database): the key still refuses a second copy.
        PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } => new JobStoreException(jobId, round, "is already committed (the database refused a second copy).", cause),
        NpgsqlException => new JobStoreException(jobId, round, $"the commit failed and nothing of it was stored: {cause.Message}", cause),
        _ => null,
    };

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing || _disposed)
        {
            return;
        }

        _disposed = true;
        _source.Dispose();
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
                    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'refused')),
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
            if (found == 1)
            {
                // Version 2 added the refused state: widen the status check in place (the schema lock is held).
                using NpgsqlCommand upgrade = Command(connection, transaction, """
                    ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_status_check,
                        ADD CONSTRAINT jobs_status_check CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'refused'));
                    INSERT INTO schema_version (version, applied_at) VALUES (2, @now);
                    """);
                upgrade.Parameters.AddWithValue("now", Utc(time.GetUtcNow()));
                upgrade.ExecuteNonQuery();
                found = 2;
            }

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
