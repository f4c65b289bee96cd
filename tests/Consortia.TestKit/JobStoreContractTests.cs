using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedOpt;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Consortia.TestKit;

/// <summary>
/// The behaviour every <see cref="IJobStore"/> keeps (in memory, SQLite, PostgreSQL). Subclass once per store and
/// implement <see cref="OpenStore"/>; durable stores subclass <see cref="DurableJobStoreContractTests"/>, which adds the reopen tests.
/// </summary>
/// <remarks>Store-specific checks (schema, raw corruption, file modes) stay in the store's own test class.</remarks>
public abstract class JobStoreContractTests
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 3, []);

    /// <summary>The clock every store under test is opened with.</summary>
    protected FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    /// <summary>Opens the store under test; durable stores open the same database on every call.</summary>
    /// <param name="checkpointsToKeep">Checkpoints kept per job (<see langword="null"/>: all).</param>
    /// <returns>An open store.</returns>
    protected abstract IJobStore OpenStore(int? checkpointsToKeep = 5);

    /// <summary>A submission.</summary>
    protected static JobSubmission Submission(string name = "job", int rounds = 3) => new(name, "alice", $"name: {name}\n", rounds);

    /// <summary>A model whose every parameter is <paramref name="value"/>.</summary>
    protected static GlobalModel Model(float value, int round = 0)
    {
        ParameterVector p = new(s_spec.CreateLayout());
        p.Values.Fill(value);
        return new GlobalModel(s_spec, p, new RoundNumber(round));
    }

    /// <summary>A FedOpt state with awkward values (negative zero, NaN, a subnormal).</summary>
    protected static FedOptState State(float value) => new([value, -0f, float.NaN, value], [value * 2, 0, 1, float.Epsilon]);

    /// <summary>A report with every kind of reply, a NaN metric and update hashes.</summary>
    protected static RoundReport Report(int round) =>
        new(new RoundNumber(round), [new SiteId("a"), new SiteId("b")],
            [new Refused(new SiteId("c"), new RoundNumber(round), "dp", "budget exhausted")],
            [new Missed(new SiteId("d"), new RoundNumber(round)), new Failed(new SiteId("e"), new RoundNumber(round), "invalid-update", "NaN")],
            0.1 * round, new MetricSummary([new MetricValue(MetricKind.Accuracy, 0.75)], [new MetricValue(MetricKind.RocAuc, double.NaN)],
                [new EvaluationReport(new SiteId("a"), 10, [new MetricValue(MetricKind.Accuracy, 0.75)])]),
            true, TimeSpan.FromMilliseconds(1234.5678))
        {
            UpdateHashes = [new(new SiteId("a"), "00ff"), new(new SiteId("b"), "ee11")],
            Privacy =
            [
                new SitePrivacyReport(new SiteId("a"), 0.25 * round, 1e-5, 1.1, 0.01, 12L * round, 2.5, 8.0) { RoundEpsilon = 0.25 },
                new SitePrivacyReport(new SiteId("b"), 0.5 * round, 1e-5, 0.9, 1.0, round, null, null) { Mechanism = "distributed_skellam" },
            ],
        };

    /// <summary>Commits round <paramref name="round"/> with the test model, state and report of that round.</summary>
    protected static void Commit(IJobStore store, string id, int round)
    {
        ArgumentNullException.ThrowIfNull(store);
        store.CommitRound(id, new RoundNumber(round), Model(round, round), State(round), Report(round));
    }

    [Fact]
    public void Submit_List_Get_KeepTheJobAndItsYaml()
    {
        using IJobStore store = OpenStore();
        JobRecord first = store.SubmitJob(Submission("first", 4));
        Time.Advance(TimeSpan.FromMinutes(1));
        JobRecord second = store.SubmitJob(Submission("second"));

        Assert.Equal(JobState.Queued, first.State);
        Assert.Equal(4, first.TotalRounds);
        Assert.Equal(0, first.RoundsCompleted);
        Assert.Equal("name: first\n", first.YamlText);
        Assert.Equal("alice", first.Owner);
        Assert.Equal(Time.GetUtcNow() - TimeSpan.FromMinutes(1), first.SubmittedAt);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal([first.Id, second.Id], store.ListJobs().Select(j => j.Id));
        Assert.Equal(second, store.GetJob(second.Id));
        Assert.Null(store.FindJob("nope"));
        Assert.Throws<KeyNotFoundException>(() => store.GetJob("nope"));
    }

    [Fact]
    public void Submit_InvalidSubmission_IsRefused_AndStoresNothing()
    {
        using IJobStore store = OpenStore();
        Assert.ThrowsAny<ArgumentException>(() => store.SubmitJob(new JobSubmission(" ", "alice", "name: x\n", 3)));
        Assert.ThrowsAny<ArgumentException>(() => store.SubmitJob(new JobSubmission("x", "alice", "name: x\n", 0)));
        Assert.Empty(store.ListJobs());
    }

    [Fact]
    public void Lifecycle_QueuedRunningCompleted_AndFinalStatesAreFinal()
    {
        using IJobStore store = OpenStore();
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
    public void ListIncompleteJobs_RunningFirst_ThenQueued_InSubmissionOrder()
    {
        using IJobStore store = OpenStore();
        string a = store.SubmitJob(Submission("a")).Id;
        string b = store.SubmitJob(Submission("b")).Id;
        string c = store.SubmitJob(Submission("c")).Id;
        string d = store.SubmitJob(Submission("d")).Id;
        store.MarkRunning(c, Model(0), State(0));
        store.MarkFailed(b, "broken");

        Assert.Equal([c, a, d], store.ListIncompleteJobs().Select(j => j.Id));
    }

    [Fact]
    public void RequestCancel_QueuedJobIsCancelledAtOnce_RunningJobIsFlagged()
    {
        using IJobStore store = OpenStore();
        string queued = store.SubmitJob(Submission("q")).Id;
        string running = store.SubmitJob(Submission("r")).Id;
        store.MarkRunning(running, Model(0), State(0));

        Assert.Equal(JobState.Cancelled, store.RequestCancel(queued).State);
        Assert.Throws<JobStateException>(() => store.MarkRunning(queued, Model(0), State(0)));

        JobRecord flagged = store.RequestCancel(running);
        Assert.Equal(JobState.Running, flagged.State);
        Assert.True(flagged.CancelRequested);
        Assert.True(store.IsCancelRequested(running));
        Assert.Equal(JobState.Cancelled, store.MarkCancelled(running, "stopped").State);
        Assert.Throws<KeyNotFoundException>(() => store.RequestCancel("nope"));
    }

    [Fact]
    public void Cancel_IsIdempotent_TheOperatorsRequestAndTheRunnersStopMayBothArrive()
    {
        using IJobStore store = OpenStore();
        string queued = store.SubmitJob(Submission("q")).Id;
        string running = store.SubmitJob(Submission("r")).Id;
        store.MarkRunning(running, Model(0), State(0));

        JobRecord first = store.RequestCancel(queued);
        JobRecord second = store.RequestCancel(queued);
        Assert.Equal(JobState.Cancelled, second.State);
        Assert.Equal(first.StatusMessage, second.StatusMessage);
        Assert.Equal(JobState.Cancelled, store.MarkCancelled(queued, "the loop saw it too").State);
        Assert.Equal("cancelled before it started", store.GetJob(queued).StatusMessage); // the first word stays

        store.RequestCancel(running);
        store.RequestCancel(running);
        Assert.Equal(JobState.Cancelled, store.MarkCancelled(running, "stopped after round 0").State);
        Assert.Equal(JobState.Cancelled, store.MarkCancelled(running, "again").State);
        Assert.Equal(JobState.Cancelled, store.RequestCancel(running).State);
        Assert.Equal("stopped after round 0", store.GetJob(running).StatusMessage);
    }

    [Fact]
    public void Cancel_OfAJobThatEndedOtherwise_IsRefusedNamingItsState()
    {
        using IJobStore store = OpenStore();
        string failed = store.SubmitJob(Submission("f")).Id;
        store.MarkFailed(failed, "broken");
        JobStateException error = Assert.Throws<JobStateException>(() => store.RequestCancel(failed));
        Assert.Equal(JobState.Failed, error.From);
        Assert.Contains("failed", error.Message, StringComparison.Ordinal);
        Assert.Throws<JobStateException>(() => store.MarkCancelled(failed));
    }

    [Fact]
    public void MarkRefused_IsFinal_KeepsEachSitesRule_AndCannotBeCancelled()
    {
        using IJobStore store = OpenStore();
        string id = store.SubmitJob(Submission()).Id;
        store.MarkRunning(id, Model(0), State(0));
        JobRecord refused = store.MarkRefused(id, "every site refused round 1: a (model): logistic only");
        Assert.Equal(JobState.Refused, refused.State);
        Assert.True(refused.IsFinal);
        Assert.Equal(JobState.Refused, store.GetJob(id).State);
        Assert.Equal("every site refused round 1: a (model): logistic only", store.GetJob(id).StatusMessage);
        Assert.Empty(store.ListIncompleteJobs());
        Assert.Equal(JobState.Refused, Assert.Throws<JobStateException>(() => store.RequestCancel(id)).From);
        Assert.Throws<JobStateException>(() => store.MarkRunning(id, Model(0), State(0)));
        Assert.Throws<JobStateException>(() => store.MarkRefused(id, "twice"));
        Assert.Throws<JobStateException>(() => store.MarkFailed(id, "late"));

        string queued = store.SubmitJob(Submission("q")).Id;
        Assert.Equal(JobState.Refused, store.MarkRefused(queued, "refused before it started").State);
    }

    [Fact]
    public void NoteError_OnAQueuedJob_SaysWhyItWaits_AndEmptyClearsIt()
    {
        using IJobStore store = OpenStore();
        string id = store.SubmitJob(Submission()).Id;
        store.NoteError(id, "waiting: 0 sites enrolled");
        Assert.Equal(JobState.Queued, store.GetJob(id).State);
        Assert.Equal("waiting: 0 sites enrolled", store.GetJob(id).StatusMessage);
        store.NoteError(id, "");
        Assert.Null(store.GetJob(id).StatusMessage);
        store.MarkFailed(id, "start timeout");
        store.NoteError(id, "too late");
        Assert.Equal("start timeout", store.GetJob(id).StatusMessage); // an ended job keeps its reason
    }

    [Fact]
    public void WatchCancel_IsCalledOnRequest_UntilDisposed()
    {
        using IJobStore store = OpenStore();
        string first = store.SubmitJob(Submission("first")).Id;
        string second = store.SubmitJob(Submission("second")).Id;
        store.MarkRunning(first, Model(0), State(0));
        store.MarkRunning(second, Model(0), State(0));
        int calls = 0;
        using (store.WatchCancel(first, () => calls++))
        {
            store.RequestCancel(second); // another job: not this watcher's business
            Assert.Equal(0, calls);
            store.RequestCancel(first);
            Assert.Equal(1, calls);
        }

        store.MarkCancelled(first);
        string third = store.SubmitJob(Submission("third")).Id;
        store.MarkRunning(third, Model(0), State(0));
        IDisposable watch = store.WatchCancel(third, () => calls++);
        watch.Dispose();
        store.RequestCancel(third);
        Assert.Equal(1, calls);
    }

    [Fact]
    public void MarkFailed_FromQueuedOrRunning_KeepsTheMessage()
    {
        using IJobStore store = OpenStore();
        string queued = store.SubmitJob(Submission()).Id;
        JobRecord failed = store.MarkFailed(queued, "yaml no longer parses");
        Assert.Equal(JobState.Failed, failed.State);
        Assert.Equal("yaml no longer parses", failed.StatusMessage);
        Assert.Throws<JobStateException>(() => store.RequestCancel(queued));
    }

    [Fact]
    public void NoteError_KeepsTheJobRunning_WithTheMessage()
    {
        using IJobStore store = OpenStore();
        string id = store.SubmitJob(Submission()).Id;
        store.MarkRunning(id, Model(0), State(0));
        store.NoteError(id, "interrupted: IOException: connection reset");
        JobRecord job = store.GetJob(id);
        Assert.Equal(JobState.Running, job.State);
        Assert.Equal("interrupted: IOException: connection reset", job.StatusMessage);
    }

    [Fact]
    public void CommitRound_OutOfOrderOrTwice_IsRefused_AndLeavesNothing()
    {
        using IJobStore store = OpenStore();
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
        Assert.Equal(1, store.GetJob(id).RoundsCompleted);
    }

    [Fact]
    public void CommittedRound_RoundTripsReportModelAndState()
    {
        using IJobStore store = OpenStore();
        string id = store.SubmitJob(Submission()).Id;
        store.MarkRunning(id, Model(0), State(0));
        Time.Advance(TimeSpan.FromSeconds(5));
        Commit(store, id, 1);
        AssertRoundOne(store, id);
    }

    [Fact]
    public void MarkRunning_StoresTheInitialCheckpointOnce()
    {
        using IJobStore store = OpenStore();
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
    [InlineData(3)]
    [InlineData(1)]
    [InlineData(null)]
    public void CheckpointRetention_TheNewestCheckpointIsAlwaysTheLastRound(int? keep)
    {
        using IJobStore store = OpenStore(keep);
        string id = store.SubmitJob(Submission(rounds: 7)).Id;
        store.MarkRunning(id, Model(0), State(0));
        for (int r = 1; r <= 7; r++)
        {
            Commit(store, id, r);
        }

        Checkpoint latest = store.LoadLatestCheckpoint(id)!;
        Assert.Equal(7, latest.Round.Value);
        Assert.True(Model(7, 7).Parameters.ContentEquals(latest.Parameters));
        Assert.Equal(7, store.GetRounds(id).Count);
    }

    [Fact]
    public void Jobs_AreIndependent()
    {
        using IJobStore store = OpenStore();
        string a = store.SubmitJob(Submission("a", rounds: 2)).Id;
        string b = store.SubmitJob(Submission("b", rounds: 2)).Id;
        store.MarkRunning(a, Model(0), State(0));
        store.MarkRunning(b, Model(10), State(10));
        Commit(store, a, 1);
        store.RequestCancel(b);
        store.MarkCancelled(b, "operator");

        Assert.Equal(JobState.Running, store.GetJob(a).State);
        Assert.False(store.GetJob(a).CancelRequested);
        Assert.Equal(1, store.GetJob(a).RoundsCompleted);
        Assert.Equal(0, store.GetJob(b).RoundsCompleted);
        Assert.True(Model(10).Parameters.ContentEquals(store.LoadLatestCheckpoint(b)!.Parameters));
        Assert.Empty(store.GetRounds(b));
    }

    [Fact]
    public async Task ConcurrentCommits_OfDifferentJobs_AllLand()
    {
        using IJobStore store = OpenStore();
        string[] ids = [.. Enumerable.Range(0, 4).Select(i => store.SubmitJob(Submission($"j{i}", rounds: 10)).Id)];
        foreach (string id in ids)
        {
            store.MarkRunning(id, Model(0), State(0));
        }

        await Task.WhenAll(ids.Select(id => Task.Run(() =>
        {
            for (int r = 1; r <= 10; r++)
            {
                Commit(store, id, r);
            }
        })));

        foreach (string id in ids)
        {
            Assert.Equal(Enumerable.Range(1, 10), store.GetRounds(id).Select(r => r.Round.Value));
            Assert.Equal(10, store.LoadLatestCheckpoint(id)!.Round.Value);
            Assert.Equal(JobState.Completed, store.MarkCompleted(id).State);
        }
    }

    /// <summary>Asserts that <paramref name="store"/> holds round 1 of job <paramref name="id"/> exactly as committed.</summary>
    protected void AssertRoundOne(IJobStore store, string id)
    {
        StoredRound stored = Assert.Single(store.GetRounds(id));
        RoundReport expected = Report(1), actual = stored.Report;
        Assert.Equal(Time.GetUtcNow(), stored.CompletedAt);
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
        Assert.Equal(expected.Privacy, actual.Privacy);

        Checkpoint checkpoint = store.LoadLatestCheckpoint(id)!;
        Assert.Equal(1, checkpoint.Round.Value);
        Assert.Equal(1, checkpoint.ModelRound.Value);
        Assert.True(Model(1, 1).Parameters.ContentEquals(checkpoint.Parameters));
        Assert.Equal(StrategyStateCodec.Encode(State(1)), StrategyStateCodec.Encode(checkpoint.State));
        Assert.Equal(UpdateHash.Of(checkpoint.Parameters.Values), checkpoint.ModelSha256);
    }
}

/// <summary>
/// The contract of a store that outlives its process (SQLite, PostgreSQL): everything of <see cref="JobStoreContractTests"/>,
/// and what one instance committed is there when the store is opened again.
/// </summary>
public abstract class DurableJobStoreContractTests : JobStoreContractTests
{
    [Fact]
    public void CommittedRound_SurvivesReopening()
    {
        string id;
        using (IJobStore store = OpenStore())
        {
            id = store.SubmitJob(Submission()).Id;
            store.MarkRunning(id, Model(0), State(0));
            Time.Advance(TimeSpan.FromSeconds(5));
            Commit(store, id, 1);
        }

        using IJobStore reopened = OpenStore();
        AssertRoundOne(reopened, id);
        Assert.Equal(JobState.Running, reopened.GetJob(id).State);
        Assert.Equal([id], reopened.ListIncompleteJobs().Select(j => j.Id));
    }
}
