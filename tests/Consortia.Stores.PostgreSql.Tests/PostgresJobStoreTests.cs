using Consortia.Federation.Jobs.Store;
using Consortia.TestKit;
using Npgsql;

namespace Consortia.Stores.PostgreSql.Tests;

/// <summary>The PostgreSQL store: the shared contract, plus what only a database shows (schema, constraints, corruption, two instances at once).</summary>
public sealed class PostgresJobStoreTests : DurableJobStoreContractTests, IClassFixture<PostgresServerFixture>
{
    private readonly PostgresServer _server;
    private readonly string _database;
    private readonly string _connection;

    public PostgresJobStoreTests(PostgresServerFixture fixture)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        _server = fixture.Server;
        _connection = _server.CreateDatabase("store");
        _database = new NpgsqlConnectionStringBuilder(_connection).Database!;
    }


    /// <inheritdoc />
    protected override IJobStore OpenStore(int? checkpointsToKeep = 5) => Open(checkpointsToKeep);

    private PostgresJobStore Open(int? keep = 5) =>
        PostgresJobStore.Open(new PostgresJobStoreOptions { ConnectionString = _connection, CheckpointsToKeep = keep }, Time);

    [Fact]
    public void PrimaryKey_RefusesASecondCopyOfARound_EvenBehindTheStoresBack()
    {
        using PostgresJobStore store = Open();
        string id = store.SubmitJob(Submission()).Id;
        store.MarkRunning(id, Model(0), State(0));
        Commit(store, id, 1);

        InvalidOperationException duplicate = Assert.Throws<InvalidOperationException>(() => _server.Sql(_database, $"INSERT INTO rounds (job_id, round, report, completed_at) VALUES ('{id}', 1, '{{}}', now());"));
        Assert.Contains("rounds_pkey", duplicate.Message, StringComparison.Ordinal);
        InvalidOperationException orphan = Assert.Throws<InvalidOperationException>(() => _server.Sql(_database, "INSERT INTO rounds (job_id, round, report, completed_at) VALUES ('no-such-job', 1, '{}', now());"));
        Assert.Contains("foreign key", orphan.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(1, 1)]
    [InlineData(null, 8)] // keep all: round 0 and rounds 1..7
    public void CheckpointRetention_KeepsTheNewestN(int? keep, int expected)
    {
        using PostgresJobStore store = Open(keep);
        string id = store.SubmitJob(Submission(rounds: 7)).Id;
        store.MarkRunning(id, Model(0), State(0));
        for (int r = 1; r <= 7; r++)
        {
            Commit(store, id, r);
        }

        Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), _server.Sql(_database, $"SELECT COUNT(*) FROM checkpoints WHERE job_id = '{id}';").Trim());
    }

    [Fact]
    public void NewerSchemaVersion_IsRefused_NamingTheDatabase()
    {
        Open().Dispose();
        _server.Sql(_database, "INSERT INTO schema_version (version, applied_at) VALUES (3, now());");

        JobStoreException error = Assert.Throws<JobStoreException>(() => Open());
        Assert.Contains("schema version 3, newer than this Consortia reads (2)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"database '{_database}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Version1Database_IsUpgradedInPlace_AndTakesTheRefusedState()
    {
        string id;
        using (PostgresJobStore store = Open())
        {
            id = store.SubmitJob(Submission()).Id;
        }

        // Back to version 1: the status check without 'refused'.
        _server.Sql(_database, """
            ALTER TABLE jobs DROP CONSTRAINT jobs_status_check,
                ADD CONSTRAINT jobs_status_check CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled'));
            DELETE FROM schema_version;
            INSERT INTO schema_version (version, applied_at) VALUES (1, now());
            """);

        using (PostgresJobStore upgraded = Open())
        {
            Assert.Equal([id], upgraded.ListJobs().Select(j => j.Id));
            Assert.Equal(JobState.Refused, upgraded.MarkRefused(id, "every site refused").State);
        }

        Assert.Equal("1,2", _server.Sql(_database, "SELECT string_agg(version::text, ',' ORDER BY version) FROM schema_version;").Trim());
    }

    [Fact]
    public void ADatabaseWithForeignTables_IsNotTakenForAStore()
    {
        _server.Sql(_database, "CREATE TABLE jobs (id TEXT PRIMARY KEY);");
        JobStoreException error = Assert.Throws<JobStoreException>(() => Open());
        Assert.Contains("is not a coordinator store", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CorruptCheckpoint_IsRefused_NamingJobAndRound()
    {
        using PostgresJobStore store = Open();
        string id = store.SubmitJob(Submission()).Id;
        store.MarkRunning(id, Model(0), State(0));
        Commit(store, id, 1);
        Commit(store, id, 2);

        // The model no longer matches its recorded hash.
        _server.Sql(_database, $"UPDATE checkpoints SET model_sha256 = repeat('0', 64) WHERE job_id = '{id}' AND round = 2;");
        JobStoreException hash = Assert.Throws<JobStoreException>(() => store.LoadLatestCheckpoint(id));
        Assert.Equal(id, hash.JobId);
        Assert.Equal(2, hash.Round);
        Assert.Contains("model hash", hash.Message, StringComparison.Ordinal);

        _server.Sql(_database, $"UPDATE checkpoints SET state = '\\x0102'::bytea WHERE job_id = '{id}' AND round = 2;");
        JobStoreException state = Assert.Throws<JobStoreException>(() => store.LoadLatestCheckpoint(id));
        Assert.Equal(2, state.Round);
        Assert.Contains("cannot be read", state.Message, StringComparison.Ordinal);

        _server.Sql(_database, $"UPDATE rounds SET report = 'not json' WHERE job_id = '{id}' AND round = 1;");
        JobStoreException report = Assert.Throws<JobStoreException>(() => store.GetRounds(id));
        Assert.Equal(1, report.Round);
    }

    [Fact]
    public async Task TwoStoreInstances_CommittingTheSameRound_ExactlyOneWins()
    {
        // Two coordinator processes on one database (e.g. a standby that took over too early): the row lock decides.
        using PostgresJobStore first = Open();
        using PostgresJobStore second = Open();
        string id = first.SubmitJob(Submission(rounds: 40)).Id;
        first.MarkRunning(id, Model(0), State(0));

        async Task<int> CommitAll(PostgresJobStore store) => await Task.Run(() =>
        {
            int won = 0;
            for (int r = 1; r <= 40; r++)
            {
                try
                {
                    Commit(store, id, r);
                    won++;
                }
                catch (JobStoreException)
                {
                    // The other instance committed this round first.
                }
            }

            return won;
        });

        int[] won = await Task.WhenAll(CommitAll(first), CommitAll(second));
        Assert.Equal(40, won.Sum());
        Assert.Equal(Enumerable.Range(1, 40), second.GetRounds(id).Select(r => r.Round.Value));
        Assert.Equal(40, first.LoadLatestCheckpoint(id)!.Round.Value);
    }

    [Fact]
    public void Unreachable_Database_IsNamed_WithoutThePassword()
    {
        string missing = new NpgsqlConnectionStringBuilder(_connection) { Database = "no_such_database", Password = "s3cret-pw", Timeout = 5 }.ConnectionString;
        JobStoreException error = Assert.Throws<JobStoreException>(() => PostgresJobStore.Open(new PostgresJobStoreOptions { ConnectionString = missing }, Time));
        Assert.Contains("database 'no_such_database'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", error.ToString(), StringComparison.Ordinal);
    }
}
