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

public sealed class SqliteJobStoreTests : IDisposable
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 3, []);
    private readonly TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    private string DbPath => _dir.File("coordinator.db");

    public void Dispose() => _dir.Dispose();

    private SqliteJobStore Open(int? keep = 5) =>
        SqliteJobStore.Open(new SqliteJobStoreOptions { Path = DbPath, CheckpointsToKeep = keep }, _time);

    private static JobSubmission Submission(string name = "job", int rounds = 3) => new(name, "alice", $"name: {name}\n", rounds);

    private static GlobalModel Model(float value, int round = 0)
    {
        ParameterVector p = new(s_spec.CreateLayout());
        p.Values.Fill(value);
        return new GlobalModel(s_spec, p, new RoundNumber(round));
    }

    private static FedOptState State(float value) => new([value, -0f, float.NaN, value], [value * 2, 0, 1, float.Epsilon]);

    private static RoundReport Report(int round) =>
        new(new RoundNumber(round), [new SiteId("a"), new SiteId("b")],
            [new Refused(new SiteId("c"), new RoundNumber(round), "dp", "budget exhausted")],
            [new Missed(new SiteId("d"), new RoundNumber(round)), new Failed(new SiteId("e"), new RoundNumber(round), "invalid-update", "NaN")],
            0.1 * round, new MetricSummary([new MetricValue(MetricKind.Accuracy, 0.75)], [new MetricValue(MetricKind.RocAuc, double.NaN)],
                [new EvaluationReport(new SiteId("a"), 10, [new MetricValue(MetricKind.Accuracy, 0.75)])]),
            true, TimeSpan.FromMilliseconds(1234.5678))
        { UpdateHashes = [new(new SiteId("a"), "00ff"), new(new SiteId("b"), "ee11")] };

    private static void Commit(SqliteJobStore store, string id, int round) =>
        store.CommitRound(id, new RoundNumber(round), Model(round, round), State(round), Report(round));

    [Fact]
    public void Submit_List_Get_KeepTheJobAndItsYaml()
    {
        using SqliteJobStore store = Open();
        JobRecord first = store.SubmitJob(Submission("first", 4));
        _time.Advance(TimeSpan.FromMinutes(1));
        JobRecord second = store.SubmitJob(Submission("second"));

        Assert.Equal(JobState.Queued, first.State);
        Assert.Equal(4, first.TotalRounds);
        Assert.Equal(0, first.RoundsCompleted);
        Assert.Equal("name: first\n", first.YamlText);
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromMinutes(1), first.SubmittedAt);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal([first.Id, second.Id], store.ListJobs().Select(j => j.Id));
        Assert.Equal(second, store.GetJob(second.Id));
        Assert.Null(store.FindJob("nope"));
        Assert.Throws<KeyNotFoundException>(() => store.GetJob("nope"));
    }

    [Fact]
    public void Lifecycle_QueuedRunningCompleted_AndFinalStatesAreFinal()
    {
        using SqliteJobStore store = Open();
        string id = store.SubmitJob(Submission(rounds: 2)).Id;
        Assert.Throws<JobStateException>(() => Commit(store, id, 1)); // not running yet
        Assert.Throws<JobStateException>(() => store.MarkCompleted(id));

        JobRecord running = store.MarkRunning(id, Model(0), State(0));
        Assert.Equal(JobState.Running, running.State);
        Assert.Equal(1, running.Attempts);
        Commit(store, id, 1);
        JobStateException early = Assert.Throws<JobStateException>(() => store.MarkCompleted(id));
        Assert.Contains("1 of 2 rounds", early.Message, StringComparison.Ordinal);
        Commit(store, id, 2);
        Assert.Throws<JobStoreException>(() => Commit(store, id, 3)); // beyond the job's rounds

        JobRecord completed = store.MarkCompleted(id);
        Assert.Equal(JobState.Completed, completed.State);
        Assert.Equal(2, completed.RoundsCompleted);
        Assert.Throws<JobStateException>(() => store.MarkRunning(id, Model(0), State(0)));
        Assert.Throws<JobStateException>(() => store.MarkFailed(id, "late"));
        Assert.Throws<JobStateException>(() => store.MarkCancelled(id));
        Assert.Throws<JobStateException>(() => store.RequestCancel(id));
        Assert.Empty(store.ListIncompleteJobs());
    }

    [Fact]
    public void RequestCancel_QueuedJobIsCancelledAtOnce_RunningJobIsFlagged()
    {
        using SqliteJobStore store = Open();
        string queued = store.SubmitJob(Submission("q")).Id;
        string running = store.SubmitJob(Submission("r")).Id;
        store.MarkRunning(running, Model(0), State(0));

        Assert.Equal(JobState.Cancelled, store.RequestCancel(queued).State);
        JobStateException again = Assert.Throws<JobStateException>(() => store.RequestCancel(queued));
        Assert.Equal(JobState.Cancelled, again.From);
        Assert.Throws<JobStateException>(() => store.MarkRunning(queued, Model(0), State(0)));

        JobRecord flagged = store.RequestCancel(running);
        Assert.Equal(JobState.Running, flagged.State);
        Assert.True(flagged.CancelRequested);
        Assert.True(store.IsCancelRequested(running));
        Assert.Equal(JobState.Cancelled, store.MarkCancelled(running, "stopped").State);
    }

    [Fact]
    public void MarkFailed_FromQueuedOrRunning_KeepsTheMessage()
    {
        using SqliteJobStore store = Open();
        string queued = store.SubmitJob(Submission()).Id;
        JobRecord failed = store.MarkFailed(queued, "yaml no longer parses");
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal("yaml no longer parses", failed.StatusMessage);
        Assert.Throws<JobStateException>(() => store.RequestCancel(queued));
    }

    [Fact]
    public void CommitRound_OutOfOrderOrTwice_IsRefused_AndLeavesNothing()
    {
        using SqliteJobStore store = Open();
        string id = store.SubmitJob(Submission(rounds: 5)).Id;
        store.MarkRunning(id, Model(0), State(0));

        JobStoreException gap = Assert.Throws<JobStoreException>(() => Commit(store, id, 2));
        Assert.Equal(id, gap.JobId);
        Assert.Equal(2, gap.Round);
        Commit(store, id, 1);
        Assert.Throws<JobStoreException>(() => Commit(store, id, 1));
        Assert.Throws<JobStoreException>(() => store.CommitRound(id, new RoundNumber(2), Model(2), State(2), Report(3)));

        Assert.Equal([1], store.GetRounds(id).Select(r => r.Round.Value));
        Assert.Equal(1, store.LoadLatestCheckpoint(id)!.Round.Value);
    }

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

    [Fact]
    public void CommittedRound_RoundTripsReportModelAndState()
    {
        using SqliteJobStore store = Open();
        string id = store.SubmitJob(Submission()).Id;
        store.MarkRunning(id, Model(0), State(0));
        _time.Advance(TimeSpan.FromSeconds(5));
        Commit(store, id, 1);

        StoredRound stored = Assert.Single(store.GetRounds(id));
        RoundReport expected = Report(1), actual = stored.Report;
        Assert.Equal(_time.GetUtcNow(), stored.CompletedAt);
        Assert.Equal(expected.Round, actual.Round);
        Assert.Equal(expected.Contributors, actual.Contributors);
        Assert.Equal(expected.Refusals, actual.Refusals);
        Assert.Equal(expected.Failures, actual.Failures);
        Assert.Equal(expected.TrainLoss, actual.TrainLoss);
        Assert.Equal(expected.Evaluation!.Mean, actual.Evaluation!.Mean);
        Assert.Equal(expected.Evaluation.Weighted, actual.Evaluation.Weighted); // NaN survives
        Assert.Equal(expected.Evaluation.Sites[0].Metrics, actual.Evaluation.Sites[0].Metrics);
        Assert.Equal(expected.Elapsed, actual.Elapsed);
        Assert.Equal(expected.UpdateHashes, actual.UpdateHashes);

        Checkpoint checkpoint = store.LoadLatestCheckpoint(id)!;
        Assert.Equal(1, checkpoint.Round.Value);
        Assert.Equal(1, checkpoint.ModelRound.Value);
        Assert.True(Model(1, 1).Parameters.ContentEquals(checkpoint.Parameters));
        Assert.Equal(StrategyStateCodec.Encode(State(1)), StrategyStateCodec.Encode(checkpoint.State));
        Assert.Equal(UpdateHash.Of(checkpoint.Parameters.Values), checkpoint.ModelSha256);
    }

    [Fact]
    public void MarkRunning_StoresTheInitialCheckpointOnce()
    {
        using SqliteJobStore store = Open();
        string id = store.SubmitJob(Submission()).Id;
        Assert.Null(store.LoadLatestCheckpoint(id));
        store.MarkRunning(id, Model(0.5f), State(0.5f));
        store.MarkRunning(id, Model(9f), State(9f)); // a resume: the first initial checkpoint stays

        Checkpoint initial = store.LoadLatestCheckpoint(id)!;
        Assert.Equal(0, initial.Round.Value);
        Assert.True(Model(0.5f).Parameters.ContentEquals(initial.Parameters));
        Assert.Equal(2, store.GetJob(id).Attempts);
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

        Raw("UPDATE schema_version SET version = 2;");
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

        Assert.Throws<JobStoreException>(() => SqliteJobStore.Open(new SqliteJobStoreOptions { Path = other }, _time));
    }

    [Fact]
    public void Open_UsesWalAndForeignKeys()
    {
        using SqliteJobStore store = Open();
        Assert.Equal("wal", QueryText("PRAGMA journal_mode;"));
        Assert.Equal([1L], Query("SELECT version FROM schema_version;"));
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
