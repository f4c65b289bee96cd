using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedOpt;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Federation.Jobs.Store;
using Consortia.TestKit;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Network.Tests.Persistence;

/// <summary>The SQLite store: the shared contract, plus what only a file can show (schema, constraints, corruption).</summary>
public sealed class SqliteJobStoreTests : DurableJobStoreContractTests, IDisposable
{
    private readonly TempDirectory _dir = new();

    private string DbPath => _dir.File("coordinator.db");


    /// <inheritdoc />
    protected override IJobStore OpenStore(int? checkpointsToKeep = 5) => Open(checkpointsToKeep);

    public void Dispose() => _dir.Dispose();

    private SqliteJobStore Open(int? keep = 5) =>
        SqliteJobStore.Open(new SqliteJobStoreOptions { Path = DbPath, CheckpointsToKeep = keep }, Time);

    [Fact]
    public void PrimaryKey_RefusesASecondCopyOfARound_EvenBehindTheStoresBack()
    {
        using SqliteJobStore store = Open();
        string id = store.SubmitJob(Submission()).Id;
        store.MarkRunning(id, Model(0), State(0));
        Commit(store, id, 1);

        SqliteException error = Assert.Throws<SqliteException>(() => Raw($"INSERT INTO rounds (job_id, round, report, completed_at) VALUES ('{id}', 1, '{{}}', 'now');"));
        Assert.Contains("UNIQUE", error.Message, StringComparison.Ordinal);
        Assert.Throws<SqliteException>(() => Raw("INSERT INTO rounds (job_id, round, report, completed_at) VALUES ('no-such-job', 1, '{}', 'now');")); // foreign key
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(1, 1)]
    [InlineData(null, 8)] // keep all: round 0 and rounds 1..7
    public void CheckpointRetention_KeepsTheNewestN(int? keep, int expected)
    {
        using SqliteJobStore store = Open(keep);
        string id = store.SubmitJob(Submission(rounds: 7)).Id;
        store.MarkRunning(id, Model(0), State(0));
        for (int r = 1; r <= 7; r++)
        {
            Commit(store, id, r);
        }

        long[] rounds = Query($"SELECT round FROM checkpoints WHERE job_id = '{id}' ORDER BY round;");
        Assert.Equal(expected, rounds.Length);
        Assert.Equal(7, rounds[^1]);
        Assert.Equal(7, store.LoadLatestCheckpoint(id)!.Round.Value);
        Assert.Equal(7, store.GetRounds(id).Count);
    }

    [Theory]
    [InlineData("model")]
    [InlineData("state")]
    public void CorruptCheckpoint_IsRejected_NamingJobAndRound(string column)
    {
        string id;
        using (SqliteJobStore store = Open())
        {
            id = store.SubmitJob(Submission()).Id;
            store.MarkRunning(id, Model(0), State(0));
            Commit(store, id, 1);
            Commit(store, id, 2);
        }

        // Flip one byte in the middle of the stored blob.
        Raw($"UPDATE checkpoints SET {column} = CAST(substr({column}, 1, 20) || x'5A' || substr({column}, 22) AS BLOB) WHERE job_id = '{id}' AND round = 2;");
        using (SqliteJobStore store = Open())
        {
            JobStoreException error = Assert.Throws<JobStoreException>(() => store.LoadLatestCheckpoint(id));
            Assert.Equal(id, error.JobId);
            Assert.Equal(2, error.Round);
            Assert.Contains($"job {id}, round 2", error.Message, StringComparison.Ordinal);
            Assert.IsType<InvalidDataException>(error.InnerException);
        }
    }

    [Fact]
    public void CheckpointOfWrongSqlType_IsRejected_NamingJobAndRound()
    {
        string id;
        using (SqliteJobStore store = Open())
        {
            id = store.SubmitJob(Submission()).Id;
            store.MarkRunning(id, Model(0), State(0));
        }

        Raw($"UPDATE checkpoints SET state = 'not a blob' WHERE job_id = '{id}';");
        using (SqliteJobStore store = Open())
        {
            JobStoreException error = Assert.Throws<JobStoreException>(() => store.LoadLatestCheckpoint(id));
            Assert.Contains($"job {id}, round 0", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void CheckpointHashMismatch_IsRejected()
    {
        string id;
        using (SqliteJobStore store = Open())
        {
            id = store.SubmitJob(Submission()).Id;
            store.MarkRunning(id, Model(0), State(0));
        }

        Raw($"UPDATE checkpoints SET model_sha256 = 'deadbeef' WHERE job_id = '{id}';");
        using (SqliteJobStore store = Open())
        {
            JobStoreException error = Assert.Throws<JobStoreException>(() => store.LoadLatestCheckpoint(id));
            Assert.Contains("round 0", error.Message, StringComparison.Ordinal);
            Assert.Contains("deadbeef", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void CorruptRoundReport_IsRejected_NamingJobAndRound()
    {
        string id;
        using (SqliteJobStore store = Open())
        {
            id = store.SubmitJob(Submission()).Id;
            store.MarkRunning(id, Model(0), State(0));
            Commit(store, id, 1);
        }

        Raw($"UPDATE rounds SET report = '{{\"round\": 1, \"surprise\": true}}' WHERE job_id = '{id}';");
        using (SqliteJobStore store = Open())
        {
            JobStoreException error = Assert.Throws<JobStoreException>(() => store.GetRounds(id));
            Assert.Contains($"job {id}, round 1", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Open_NewerSchema_OrForeignFile_IsRefused()
    {
        using (Open())
        {
        }

        Raw("UPDATE schema_version SET version = 3;");
        JobStoreException newer = Assert.Throws<JobStoreException>(() => Open());
        Assert.Contains("newer", newer.Message, StringComparison.Ordinal);

        string other = _dir.File("other.db");
        using (SqliteConnection connection = new($"Data Source={other};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand create = connection.CreateCommand();
            create.CommandText = "CREATE TABLE something (x INTEGER);";
            create.ExecuteNonQuery();
        }

        Assert.Throws<JobStoreException>(() => SqliteJobStore.Open(new SqliteJobStoreOptions { Path = other }, Time));
    }

    [Fact]
    public void Open_UsesWalAndForeignKeys()
    {
        using SqliteJobStore store = Open();
        Assert.Equal("wal", QueryText("PRAGMA journal_mode;"));
        Assert.Equal([2L], Query("SELECT version FROM schema_version;"));
    }

    [Fact]
    public void Open_Version1File_IsUpgradedInPlace_KeepingJobsRoundsAndOrder()
    {
        string first, second;
        using (SqliteJobStore store = Open())
        {
            first = store.SubmitJob(Submission("first")).Id;
            second = store.SubmitJob(Submission("second")).Id;
            store.MarkRunning(first, Model(0), State(0));
            Commit(store, first, 1);
        }

        // Back to the version-1 table: the same columns without 'refused' in the status check.
        Raw("""
            PRAGMA foreign_keys = OFF;
            CREATE TABLE jobs_v1 (id TEXT PRIMARY KEY, name TEXT NOT NULL, owner TEXT NOT NULL, yaml TEXT NOT NULL,
                total_rounds INTEGER NOT NULL CHECK (total_rounds >= 1),
                status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
                status_message TEXT NULL, cancel_requested INTEGER NOT NULL CHECK (cancel_requested IN (0, 1)),
                attempts INTEGER NOT NULL, submitted_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            INSERT INTO jobs_v1 (rowid, id, name, owner, yaml, total_rounds, status, status_message, cancel_requested, attempts, submitted_at, updated_at)
                SELECT rowid, id, name, owner, yaml, total_rounds, status, status_message, cancel_requested, attempts, submitted_at, updated_at FROM jobs;
            DROP TABLE jobs;
            ALTER TABLE jobs_v1 RENAME TO jobs;
            DELETE FROM schema_version;
            INSERT INTO schema_version (version, applied_at) VALUES (1, 'then');
            """);
        Assert.Throws<SqliteException>(() => Raw($"UPDATE jobs SET status = 'refused' WHERE id = '{first}';"));

        using (SqliteJobStore upgraded = Open())
        {
            Assert.Equal([first, second], upgraded.ListJobs().Select(j => j.Id));
            AssertRoundOne(upgraded, first);
            Assert.Equal(JobState.Refused, upgraded.MarkRefused(first, "every site refused").State);
        }

        Assert.Equal([1L, 2L], Query("SELECT version FROM schema_version ORDER BY version;"));
        Assert.Equal([1L], Query("SELECT COUNT(*) FROM rounds;"));
        Assert.Empty(Query("PRAGMA foreign_key_check;"));
    }

    private void Raw(string sql)
    {
        using SqliteConnection connection = new($"Data Source={DbPath};Pooling=False;Foreign Keys=True");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private long[] Query(string sql)
    {
        using SqliteConnection connection = new($"Data Source={DbPath};Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        using SqliteDataReader reader = command.ExecuteReader();
        List<long> values = [];
        while (reader.Read())
        {
            values.Add(reader.GetInt64(0));
        }

        return [.. values];
    }

    private string QueryText(string sql)
    {
        using SqliteConnection connection = new($"Data Source={DbPath};Pooling=False");
        connection.Open();
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return (string)command.ExecuteScalar()!;
    }
}
