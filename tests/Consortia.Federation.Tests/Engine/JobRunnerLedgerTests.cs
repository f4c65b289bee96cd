using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Transport;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Federation.Tests.Engine;

/// <summary>The runner writes the coordinator's ledger: job-received once, every committed round once, the release; reconciled on resume.</summary>
public sealed class JobRunnerLedgerTests : IDisposable
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);
    private static readonly LocalTrainingOptions s_training = new() { BatchSize = 8, LocalSteps = 5, Optimizer = new() { LearningRate = 0.1f } };
    private readonly TempDirectory _dir = new();
    private readonly EcdsaLedgerSigner _signer = EcdsaLedgerSigner.Generate();

    public void Dispose()
    {
        _signer.Dispose();
        _dir.Dispose();
    }

    private static InProcessSiteTransport Sites(FederatedDataset data, JobDefinition job) =>
        new(TestSites.Agents(data, s_spec, [MetricKind.Accuracy], 8, i => new RandomSource(3).Derive((ulong)i), job: j => j with { Name = job.Name, SourceText = job.SourceText, Engine = job.Engine }, training: s_training));

    private static GlobalModel Initial() => new(s_spec, new ParameterVector(s_spec.CreateLayout()), new RoundNumber(0));

    private AuditLedger OpenLedger() => AuditLedger.Open(_dir.File("coordinator.db"), "coordinator", LedgerRole.Coordinator, _signer, TimeProvider.System);

    private static JobRunner Runner(IJobStore store, string id, JobDefinition job, ISiteTransport sites, AuditLedger ledger) =>
        new(store, sites, id, job, Initial(), TimeProvider.System, NullLogger.Instance) { Ledger = ledger, Strategy = new FedAvgStrategy(new FedAvgOptions { Training = s_training }) };

    [Fact]
    public async Task UninterruptedRun_WritesJobReceived_EveryRoundWithItsUpdateHashes_AndTheRelease()
    {
        FederatedDataset data = Some.ClassificationFederation();
        JobDefinition job = RunnerHarness.JobFor(new RoundEngineOptions { Rounds = 4, JobName = "ledgered" }, 9);
        using InMemoryJobStore store = new(TimeProvider.System);
        string id = store.SubmitJob(JobSubmission.From(job)).Id;
        using AuditLedger ledger = OpenLedger();

        JobRunOutcome outcome = await Runner(store, id, job, Sites(data, job), ledger).RunAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(JobState.Completed, outcome.State);
        LedgerEvent[] events = [.. ledger.ReadEntries().Select(e => e.Event)];
        JobReceivedEvent received = Assert.IsType<JobReceivedEvent>(events[0]);
        Assert.Equal("ledgered", received.JobId);
        Assert.Equal(Sha256Hex.OfText(job.SourceText!), received.ManifestSha256);
        RoundCompletedEvent[] rounds = [.. events.OfType<RoundCompletedEvent>()];
        Assert.Equal([1, 2, 3, 4], rounds.Select(r => r.Round));
        IReadOnlyList<StoredRound> stored = store.GetRounds(id);
        for (int i = 0; i < rounds.Length; i++)
        {
            Assert.Equal(stored[i].Report.UpdateHashes.Select(h => (h.Key.Value, h.Value)), rounds[i].Updates.Select(u => (u.SiteId, u.UpdateSha256)));
            Assert.Equal(4, rounds[i].Updates.Count);
        }

        ModelReleasedEvent released = Assert.IsType<ModelReleasedEvent>(events[^1]);
        Assert.Equal(UpdateHash.Of(outcome.Model.Parameters.Values), released.ModelSha256);
        Assert.Equal(6, events.Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task CrashBetweenCommitAndLedgerAppend_Resume_NeitherLosesNorDuplicatesAnEntry(int crashAfterCommitOf)
    {
        FederatedDataset data = Some.ClassificationFederation();
        JobDefinition job = RunnerHarness.JobFor(new RoundEngineOptions { Rounds = 4, JobName = "crashy" }, 9);
        using InMemoryJobStore inner = new(TimeProvider.System);
        string id = inner.SubmitJob(JobSubmission.From(job)).Id;
        using AuditLedger ledger = OpenLedger();

        // The round is committed, then the "process dies" before the runner appends it to the ledger.
        CrashAfterCommitStore crashing = new(inner, crashAfterCommitOf);
        await Assert.ThrowsAsync<IOException>(() => Runner(crashing, id, job, Sites(data, job), ledger).RunAsync(null, TestContext.Current.CancellationToken));
        Assert.Equal(crashAfterCommitOf, inner.GetJob(id).RoundsCompleted);
        Assert.Equal(crashAfterCommitOf - 1, ledger.ReadEntries().Count(e => e.Event is RoundCompletedEvent));

        JobRunOutcome outcome = await Runner(inner, id, job, Sites(data, job), ledger).RunAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(JobState.Completed, outcome.State);
        LedgerEvent[] events = [.. ledger.ReadEntries().Select(e => e.Event)];
        Assert.Single(events.OfType<JobReceivedEvent>());
        Assert.Equal([1, 2, 3, 4], events.OfType<RoundCompletedEvent>().Select(r => r.Round));
        Assert.Single(events.OfType<ModelReleasedEvent>());
        Assert.IsType<ModelReleasedEvent>(events[^1]);
    }

    [Fact]
    public async Task TwoRunsOfOneJobName_KeepTheirEntriesApart_ByRunId_EvenAcrossACrash()
    {
        FederatedDataset data = Some.ClassificationFederation();
        JobDefinition job = RunnerHarness.JobFor(new RoundEngineOptions { Rounds = 3, JobName = "same-name" }, 9);
        using InMemoryJobStore store = new(TimeProvider.System);
        string first = store.SubmitJob(JobSubmission.From(job)).Id;
        string second = store.SubmitJob(JobSubmission.From(job)).Id;
        using AuditLedger ledger = OpenLedger();
        await Runner(store, first, job, Sites(data, job), ledger).RunAsync(null, TestContext.Current.CancellationToken);

        // The second run of the same name crashes after its round 2 and resumes: it must not take the first run's
        // entries for its own (the bug: entries keyed by name merged the runs).
        await Assert.ThrowsAsync<IOException>(() => Runner(new CrashAfterCommitStore(store, 2), second, job, Sites(data, job), ledger).RunAsync(null, TestContext.Current.CancellationToken));
        JobRunOutcome outcome = await Runner(store, second, job, Sites(data, job), ledger).RunAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(JobState.Completed, outcome.State);
        LedgerEvent[] events = [.. ledger.ReadEntries().Select(e => e.Event)];
        Assert.All(events, e => Assert.Contains(e.RunId, new[] { first, second }));
        foreach (string run in new[] { first, second })
        {
            LedgerEvent[] own = [.. events.Where(e => e.RunId == run)];
            Assert.Single(own.OfType<JobReceivedEvent>());
            Assert.Equal([1, 2, 3], own.OfType<RoundCompletedEvent>().Select(r => r.Round));
            Assert.Single(own.OfType<ModelReleasedEvent>());
        }
    }

    [Fact]
    public async Task EverySiteRefuses_InADeployment_EndsRefused_NamingEachSitesRule_AndCommitsNothing()
    {
        JobDefinition job = RunnerHarness.JobFor(new RoundEngineOptions { Rounds = 3, JobName = "unwelcome" }, 9);
        using InMemoryJobStore store = new(TimeProvider.System);
        string id = store.SubmitJob(JobSubmission.From(job)).Id;
        using AuditLedger ledger = OpenLedger();
        JobRunner runner = new(store, new RefusingSites(["a", "b"]), id, job, Initial(), TimeProvider.System, NullLogger.Instance, new JobRunnerOptions { EndWhenEverySiteRefuses = true })
        {
            Ledger = ledger,
            Strategy = new FedAvgStrategy(new FedAvgOptions { Training = s_training }),
        };

        JobRunOutcome outcome = await runner.RunAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(JobState.Refused, outcome.State);
        Assert.Equal("every site refused round 1: a (model): logistic is not allowed; b (model): logistic is not allowed", outcome.Message);
        JobRecord stored = store.GetJob(id);
        Assert.Equal(JobState.Refused, stored.State);
        Assert.Equal(outcome.Message, stored.StatusMessage);
        Assert.Equal(0, stored.RoundsCompleted);
        Assert.Empty(ledger.ReadEntries().Select(e => e.Event).OfType<RoundCompletedEvent>());
        Assert.Empty(ledger.ReadEntries().Select(e => e.Event).OfType<ModelReleasedEvent>());
    }

    [Fact]
    public async Task EverySiteRefuses_InASimulation_EveryRoundIsCommittedWithItsRefusals()
    {
        JobDefinition job = RunnerHarness.JobFor(new RoundEngineOptions { Rounds = 2, JobName = "explored" }, 9);
        using InMemoryJobStore store = new(TimeProvider.System);
        string id = store.SubmitJob(JobSubmission.From(job)).Id;
        JobRunner runner = new(store, new RefusingSites(["a", "b"]), id, job, Initial(), TimeProvider.System, NullLogger.Instance)
        {
            Strategy = new FedAvgStrategy(new FedAvgOptions { Training = s_training }),
        };

        JobRunOutcome outcome = await runner.RunAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(JobState.Completed, outcome.State);
        Assert.All(store.GetRounds(id), r => Assert.Equal(2, r.Report.Refusals.Count));
    }

    /// <summary>Sites whose policy refuses every task (rule <c>model</c>).</summary>
    private sealed class RefusingSites(string[] names) : ISiteTransport
    {
        public IReadOnlyList<SiteId> Roster { get; } = [.. names.Select(n => new SiteId(n))];

        public async IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (SiteTask task in tasks)
            {
                await Task.Yield();
                cancellationToken.ThrowIfCancellationRequested();
                yield return new Refused(task.Site, task.Round, "model", "logistic is not allowed");
            }
        }
    }

    /// <summary>A store that commits round <c>crashAfter</c> and then fails, as a process killed right after the commit.</summary>
    private sealed class CrashAfterCommitStore(IJobStore inner, int crashAfter) : IJobStore
    {
        public void CommitRound(string jobId, RoundNumber round, GlobalModel model, StrategyState state, RoundReport report)
        {
            inner.CommitRound(jobId, round, model, state, report);
            if (round.Value == crashAfter)
            {
                throw new IOException($"simulated crash after committing round {round.Value}");
            }
        }

        public JobRecord SubmitJob(JobSubmission submission) => inner.SubmitJob(submission);

        public IReadOnlyList<JobRecord> ListJobs() => inner.ListJobs();

        public IReadOnlyList<JobRecord> ListIncompleteJobs() => inner.ListIncompleteJobs();

        public JobRecord? FindJob(string jobId) => inner.FindJob(jobId);

        public IReadOnlyList<StoredRound> GetRounds(string jobId) => inner.GetRounds(jobId);

        public JobRecord MarkRunning(string jobId, GlobalModel initial, StrategyState initialState) => inner.MarkRunning(jobId, initial, initialState);

        public Checkpoint? LoadLatestCheckpoint(string jobId) => inner.LoadLatestCheckpoint(jobId);

        public JobRecord MarkCompleted(string jobId, string? message = null) => inner.MarkCompleted(jobId, message);

        public JobRecord MarkFailed(string jobId, string message) => inner.MarkFailed(jobId, message);

        public JobRecord MarkCancelled(string jobId, string? message = null) => inner.MarkCancelled(jobId, message);

        public JobRecord MarkRefused(string jobId, string message) => inner.MarkRefused(jobId, message);

        public JobRecord RequestCancel(string jobId) => inner.RequestCancel(jobId);

        public IDisposable WatchCancel(string jobId, Action onCancel) => inner.WatchCancel(jobId, onCancel);

        public void NoteError(string jobId, string message) => inner.NoteError(jobId, message);

        public void Dispose()
        {
            // The inner store belongs to the test.
        }
    }
}
