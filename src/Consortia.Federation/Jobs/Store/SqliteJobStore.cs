using System.Data;
using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Consortia.Federation.Jobs.Store;

/// <summary>
/// The coordinator's durable state in one SQLite file: jobs, their committed rounds and their checkpoints.
/// </summary>
/// <remarks>
/// <para>
/// The statements, checks and invariants are <see cref="RelationalJobStore"/>'s; this class opens the file, creates and
/// versions its schema, and serialises calls. The file runs in WAL mode with <c>synchronous = FULL</c> and foreign keys
/// on; every change that touches more than one row is one immediate transaction, so a process killed at any instant
/// leaves either the whole change or none of it. The schema is described in <c>docs/operations.md</c> ("Persistence and
/// resume") and versioned in the <c>schema_version</c> table; a file of a newer version is refused.
/// </para>
/// <para>Thread-safe: calls are serialised on the instance (one connection under a lock). Synchronous, because the store is a local file.</para>
/// </remarks>
public sealed class SqliteJobStore : RelationalJobStore
{
    /// <summary>The schema version this build creates and reads.</summary>
    /// <remarks>Version 2 added the <c>refused</c> job state; a version-1 file is upgraded in place when opened.</remarks>
    public const int SchemaVersion = 2;

    private const string JobsTable = """
        (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            owner TEXT NOT NULL,
            yaml TEXT NOT NULL,
            total_rounds INTEGER NOT NULL CHECK (total_rounds >= 1),
            status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled', 'refused')),
            status_message TEXT NULL,
            cancel_requested INTEGER NOT NULL CHECK (cancel_requested IN (0, 1)),
            attempts INTEGER NOT NULL,
            submitted_at TEXT NOT NULL,
            updated_at TEXT NOT NULL)
        """;

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();
    private bool _disposed;

    private SqliteJobStore(SqliteConnection connection, SqliteJobStoreOptions options, TimeProvider time)
        : base(time, options.CheckpointsToKeep)
    {
        _connection = connection;
        Path = options.Path;
    }

    /// <summary>The SQLite file.</summary>
    public string Path { get; }

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
            UpgradeFromVersion1(connection, time);
            EnsureSchema(connection, options.Path, time);
            return new SqliteJobStore(connection, options, time);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    protected override string InsertionOrder => "rowid";

    /// <inheritdoc />
    /// <remarks>Empty: every call holds the instance's lock and changes run in immediate transactions, which lock the file.</remarks>
    protected override string RowLock => "";

    /// <inheritdoc />
    protected override T WithConnection<T>(Func<DbConnection, T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return work(_connection);
        }
    }

    /// <inheritdoc />
    /// <remarks>Always an immediate transaction: calls are serialised already, so no weaker isolation is ever needed.</remarks>
    protected override DbTransaction BeginTransaction(DbConnection connection, IsolationLevel isolation) => _connection.BeginTransaction();

    /// <inheritdoc />
    protected override object TimeValue(DateTimeOffset time) => FormatTime(time);

    /// <inheritdoc />
    protected override DateTimeOffset ReadTime(DbDataReader reader, int ordinal)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return DateTimeOffset.Parse(reader.GetString(ordinal), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }

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
            Execute(connection, transaction, $$"""
                CREATE TABLE schema_version (
                    version INTEGER NOT NULL,
                    applied_at TEXT NOT NULL);
                CREATE TABLE jobs {{JobsTable}};
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
            using SqliteCommand version = Command(connection, transaction, "INSERT INTO schema_version (version, applied_at) VALUES (@v, @now);");
            version.Parameters.AddWithValue("@v", SchemaVersion);
            version.Parameters.AddWithValue("@now", FormatTime(time.GetUtcNow()));
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

    /// <summary>
    /// Upgrades a version-1 file (no <c>refused</c> state in the jobs table's check) to version 2 by rebuilding the jobs
    /// table, keeping its rows and their insertion order (SQLite cannot alter a check constraint).
    /// </summary>
    private static void UpgradeFromVersion1(SqliteConnection connection, TimeProvider time)
    {
        using (SqliteCommand probe = Command(connection, null, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version';"))
        {
            if ((long)probe.ExecuteScalar()! == 0)
            {
                return;
            }
        }

        using (SqliteCommand version = Command(connection, null, "SELECT MAX(version) FROM schema_version;"))
        {
            if (version.ExecuteScalar() is not long found || found != 1)
            {
                return;
            }
        }

        // The documented way to change a table's constraints: foreign keys off (outside any transaction) while the table
        // is replaced, so dropping the old one neither cascades to rounds and checkpoints nor trips their references.
        Execute(connection, null, "PRAGMA foreign_keys = OFF;");
        try
        {
            using SqliteTransaction transaction = connection.BeginTransaction();
            Execute(connection, transaction, $$"""
                CREATE TABLE jobs_v2 {{JobsTable}};
                INSERT INTO jobs_v2 (rowid, id, name, owner, yaml, total_rounds, status, status_message, cancel_requested, attempts, submitted_at, updated_at)
                    SELECT rowid, id, name, owner, yaml, total_rounds, status, status_message, cancel_requested, attempts, submitted_at, updated_at FROM jobs;
                DROP TABLE jobs;
                ALTER TABLE jobs_v2 RENAME TO jobs;
                """);
            using SqliteCommand version = Command(connection, transaction, "INSERT INTO schema_version (version, applied_at) VALUES (2, @now);");
            version.Parameters.AddWithValue("@now", FormatTime(time.GetUtcNow()));
            version.ExecuteNonQuery();
            transaction.Commit();
        }
        finally
        {
            Execute(connection, null, "PRAGMA foreign_keys = ON;");
        }
    }

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
}
