using Consortia.Federation.Engine;
using Consortia.Federation.Sites;
using Consortia.Federation.Transport;
using Consortia.Network.Coordinator;
using Consortia.Federation.Jobs.Store;
using Consortia.TestKit;
using Microsoft.Data.Sqlite;

namespace Consortia.Network.Tests.Persistence;

/// <summary>
/// A coordinator stopped at any point and restarted on the same file (new store, new runner, new strategy) finishes
/// the job with the uninterrupted run's model bit for bit and a round history 1..R without gap or duplicate.
/// </summary>
public sealed class JobRunnerResumeTests
{
    public static TheoryData<string, int, Interruption> Interruptions => new()
    {
        { "fedavg", 0, Interruption.TransportThrows },
        { "fedavg", 3, Interruption.HostShutdown },
        { "fedadam", 2, Interruption.TransportThrows },
        { "fedadam", 5, Interruption.HostShutdown },
        { "scaffold", 1, Interruption.HostShutdown },
        { "scaffold", 4, Interruption.TransportThrows },
    };

    [Fact]
    public async Task Uninterrupted_RunnerEqualsEngineLoop_AndCommitsEveryRound()
    {
        ResumeFixture fixture = ResumeFixture.Create("scaffold");
        JobResult reference = await fixture.ReferenceAsync();
        using TempDirectory dir = new();
        using SqliteJobStore store = ResumeFixture.OpenStore(dir.File("coordinator.db"));
        string id = store.SubmitJob(JobSubmission.From(fixture.Job)).Id;
        List<int> progressed = [];

        JobRunOutcome outcome = await fixture.Runner(store, new InProcessSiteTransport(fixture.Agents()), id)
            .RunAsync(new SyncProgress<RoundReport>(r => progressed.Add(r.Round.Value)), TestContext.Current.CancellationToken);

        ResumeFixture.AssertSameAsReference(reference, store, id, outcome);
        Assert.Equal(Enumerable.Range(1, ResumeFixture.Rounds), progressed);
        Assert.Equal(1, store.GetJob(id).Attempts);
    }

    [Theory]
    [MemberData(nameof(Interruptions))]
    public async Task Interrupted_AfterRoundK_NewStoreAndRunnerOnSameFile_FinishBitIdentical(string strategy, int k, Interruption how)
    {
        ResumeFixture fixture = ResumeFixture.Create(strategy);
        JobResult reference = await fixture.ReferenceAsync();
        using TempDirectory dir = new();
        string path = dir.File("coordinator.db");
        SiteAgent[] sites = fixture.Agents(); // the sites outlive the coordinator
        string id;

        // First coordinator: stopped while dispatching round k+1.
        using (SqliteJobStore store = ResumeFixture.OpenStore(path))
        {
            id = store.SubmitJob(JobSubmission.From(fixture.Job)).Id;
            using CancellationTokenSource host = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
            FaultingTransport transport = new(new InProcessSiteTransport(sites), k + 1, how, host);
            JobRunner runner = fixture.Runner(store, transport, id);
            if (how == Interruption.HostShutdown)
            {
                await Assert.ThrowsAnyAsync<OperationCanceledException>(() => runner.RunAsync(null, host.Token));
            }
            else
            {
                await Assert.ThrowsAsync<IOException>(() => runner.RunAsync(null, host.Token));
            }
        }

        // Second coordinator: a new store and runner on the same file.
        using (SqliteJobStore store = ResumeFixture.OpenStore(path))
        {
            JobRecord interrupted = store.GetJob(id);
            Assert.Equal(JobState.Running, interrupted.State);
            Assert.Equal(k, interrupted.RoundsCompleted);
            Assert.Equal(k, store.LoadLatestCheckpoint(id)!.Round.Value);
            Assert.Equal(id, Assert.Single(store.ListIncompleteJobs()).Id);

            FaultingTransport transport = new(new InProcessSiteTransport(sites));
            JobRunOutcome outcome = await fixture.Runner(store, transport, id).RunAsync(null, TestContext.Current.CancellationToken);

            ResumeFixture.AssertSameAsReference(reference, store, id, outcome);
            Assert.Equal(Enumerable.Range(k + 1, ResumeFixture.Rounds - k), transport.TrainingDispatches.Keys.Order());
            Assert.Equal(2, store.GetJob(id).Attempts);
            Assert.Empty(store.ListIncompleteJobs());
        }
    }

    [Theory]
    [InlineData("fedavg", 3)]
    [InlineData("fedadam", 1)]
    public async Task CrashBetweenRoundComputedAndCommitted_RedoesThatRoundOnce(string strategy, int k)
    {
        ResumeFixture fixture = ResumeFixture.Create(strategy);
        JobResult reference = await fixture.ReferenceAsync();
        using TempDirectory dir = new();
        string path = dir.File("coordinator.db");
        SiteAgent[] sites = fixture.Agents();
        string id;
        FaultingTransport first = new(new InProcessSiteTransport(sites));
        using (SqliteJobStore store = ResumeFixture.OpenStore(path))
        {
            id = store.SubmitJob(JobSubmission.From(fixture.Job)).Id;
            // The database refuses round k+1's commit: the round was computed (sites trained) but never committed.
            ExecuteRaw(path, $"CREATE TRIGGER crash BEFORE INSERT ON rounds WHEN NEW.round = {k + 1} BEGIN SELECT RAISE(ABORT, 'simulated crash before commit'); END;");
            SqliteException crash = await Assert.ThrowsAsync<SqliteException>(() => fixture.Runner(store, first, id).RunAsync(null, TestContext.Current.CancellationToken));
            Assert.Contains("simulated crash", crash.Message, StringComparison.Ordinal);
            Assert.Equal(1, first.TrainingDispatches[k + 1]);
            JobRecord after = store.GetJob(id);
            Assert.Equal(JobState.Running, after.State);
            Assert.Equal(k, after.RoundsCompleted);
            Assert.Contains("interrupted", after.StatusMessage, StringComparison.Ordinal);
            Assert.Equal(k, store.LoadLatestCheckpoint(id)!.Round.Value); // the checkpoint rolled back with the round
        }

        ExecuteRaw(path, "DROP TRIGGER crash;");
        using (SqliteJobStore store = ResumeFixture.OpenStore(path))
        {
            FaultingTransport second = new(new InProcessSiteTransport(sites));
            JobRunOutcome outcome = await fixture.Runner(store, second, id).RunAsync(null, TestContext.Current.CancellationToken);

            ResumeFixture.AssertSameAsReference(reference, store, id, outcome);
            // Round k+1 was dispatched twice in all (once per coordinator) and recorded once; every other round once.
            Assert.Equal(1, second.TrainingDispatches[k + 1]);
            Assert.All(Enumerable.Range(1, ResumeFixture.Rounds), r =>
                Assert.Equal(r == k + 1 ? 2 : 1, first.TrainingDispatches.GetValueOrDefault(r) + second.TrainingDispatches.GetValueOrDefault(r)));
        }
    }

    /// <summary>
    /// The documented caveat, measured: sites that already charged their privacy budget for the round that was never
    /// committed are charged again when it is repeated — counted twice, never under-counted.
    /// </summary>
    [Fact]
    public async Task CrashBeforeCommit_WithDp_SitesChargeTheRepeatedRoundTwice()
    {
        ResumeFixture fixture = ResumeFixture.Create("fedavg", """
            privacy:
              dp:
                mode: sample-level
                epsilon: 4
                delta: 1.0e-5
                clip: 1.0
            """);
        using TempDirectory dir = new();
        string path = dir.File("coordinator.db");
        Consortia.Privacy.Budget.PrivacyBudgetLedger[] budgets = [.. fixture.Data.Sites.Select(s => Consortia.Privacy.Budget.PrivacyBudgetLedger.Create(
            new Consortia.Privacy.Budget.PrivacyBudgetLedgerOptions { Path = dir.File(s.Name + "-budget.db"), Budget = new Consortia.Privacy.Budget.LifetimeBudget(100, 1e-5) }, TimeProvider.System))];
        try
        {
            SiteAgent[] sites = fixture.Agents(budgets);
            string id;
            using (SqliteJobStore store = ResumeFixture.OpenStore(path))
            {
                id = store.SubmitJob(JobSubmission.From(fixture.Job)).Id;
                ExecuteRaw(path, "CREATE TRIGGER crash BEFORE INSERT ON rounds WHEN NEW.round = 3 BEGIN SELECT RAISE(ABORT, 'simulated crash before commit'); END;");
                await Assert.ThrowsAsync<SqliteException>(() => fixture.Runner(store, new InProcessSiteTransport(sites), id).RunAsync(null, TestContext.Current.CancellationToken));
            }

            ExecuteRaw(path, "DROP TRIGGER crash;");
            using (SqliteJobStore store = ResumeFixture.OpenStore(path))
            {
                JobRunOutcome outcome = await fixture.Runner(store, new InProcessSiteTransport(sites), id).RunAsync(null, TestContext.Current.CancellationToken);
                Assert.Equal(JobState.Completed, outcome.State);
                Assert.Equal(Enumerable.Range(1, ResumeFixture.Rounds), store.GetRounds(id).Select(r => r.Round.Value));
                Assert.All(store.GetRounds(id), r => Assert.Equal(3, r.Report.Contributors.Count));
            }

            foreach (Consortia.Privacy.Budget.PrivacyBudgetLedger budget in budgets)
            {
                Assert.Equal([1, 2, 3, 3, 4, 5, 6], budget.GetCharges(fixture.Job.Name).Select(c => c.Round));
            }
        }
        finally
        {
            foreach (Consortia.Privacy.Budget.PrivacyBudgetLedger budget in budgets)
            {
                budget.Dispose();
            }
        }
    }

    [Fact]
    public async Task CrashAfterLastRoundCommitted_ResumeCompletesWithoutRunningARound()
    {
        ResumeFixture fixture = ResumeFixture.Create("fedadam");
        JobResult reference = await fixture.ReferenceAsync();
        using TempDirectory dir = new();
        string path = dir.File("coordinator.db");
        string id;
        using (SqliteJobStore store = ResumeFixture.OpenStore(path))
        {
            id = store.SubmitJob(JobSubmission.From(fixture.Job)).Id;
            ExecuteRaw(path, "CREATE TRIGGER crash BEFORE UPDATE OF status ON jobs WHEN NEW.status = 'completed' BEGIN SELECT RAISE(ABORT, 'simulated crash before completion'); END;");
            await Assert.ThrowsAsync<SqliteException>(() => fixture.Runner(store, new InProcessSiteTransport(fixture.Agents()), id).RunAsync(null, TestContext.Current.CancellationToken));
            Assert.Equal(ResumeFixture.Rounds, store.GetJob(id).RoundsCompleted);
        }

        ExecuteRaw(path, "DROP TRIGGER crash;");
        using (SqliteJobStore store = ResumeFixture.OpenStore(path))
        {
            FaultingTransport transport = new(new InProcessSiteTransport(fixture.Agents()));
            JobRunOutcome outcome = await fixture.Runner(store, transport, id).RunAsync(null, TestContext.Current.CancellationToken);

            ResumeFixture.AssertSameAsReference(reference, store, id, outcome);
            Assert.Empty(transport.TrainingDispatches);
        }
    }

    /// <summary>
    /// kill -9 at the file level: a round's commit transaction is open, its pages already spilled into the WAL but
    /// not committed; the files on disk at that instant (database + WAL) are copied, as a killed process leaves
    /// them. SQLite's recovery on the copy ignores the uncommitted frames: the round is invisible and the job
    /// resumes from the round before it, bit-identical.
    /// </summary>
    [Fact]
    public async Task KilledMidCommit_FilesOnDisk_UncommittedRoundIsInvisible_AndJobResumes()
    {
        ResumeFixture fixture = ResumeFixture.Create("fedadam");
        JobResult reference = await fixture.ReferenceAsync();
        using TempDirectory dir = new();
        string path = dir.File("coordinator.db");
        string copy = dir.File("after-kill.db");
        SiteAgent[] sites = fixture.Agents();
        string id;
        using (SqliteJobStore store = ResumeFixture.OpenStore(path))
        {
            id = store.SubmitJob(JobSubmission.From(fixture.Job)).Id;
            await Assert.ThrowsAsync<IOException>(() => fixture.Runner(store, new FaultingTransport(new InProcessSiteTransport(sites), 3), id).RunAsync(null, TestContext.Current.CancellationToken));

            CopyFilesWhileRound3IsHalfCommitted(path, copy, id);
        }

        using (SqliteJobStore store = ResumeFixture.OpenStore(copy))
        {
            JobRecord record = store.GetJob(id);
            Assert.Equal(JobState.Running, record.State);
            Assert.Equal(2, record.RoundsCompleted);
            Assert.Equal([1, 2], store.GetRounds(id).Select(r => r.Round.Value));
            Assert.Equal(2, store.LoadLatestCheckpoint(id)!.Round.Value);

            JobRunOutcome outcome = await fixture.Runner(store, new InProcessSiteTransport(sites), id).RunAsync(null, TestContext.Current.CancellationToken);
            ResumeFixture.AssertSameAsReference(reference, store, id, outcome);
        }
    }

    [Fact]
    public async Task CancelRequestedBetweenRounds_StopsBeforeTheNextRound()
    {
        ResumeFixture fixture = ResumeFixture.Create("fedavg");
        using TempDirectory dir = new();
        using SqliteJobStore store = ResumeFixture.OpenStore(dir.File("coordinator.db"));
        string id = store.SubmitJob(JobSubmission.From(fixture.Job)).Id;
        FaultingTransport transport = new(new InProcessSiteTransport(fixture.Agents()));

        JobRunOutcome outcome = await fixture.Runner(store, transport, id).RunAsync(
            new SyncProgress<RoundReport>(r => { if (r.Round.Value == 2) { store.RequestCancel(id); } }), TestContext.Current.CancellationToken);

        Assert.Equal(JobState.Cancelled, outcome.State);
        Assert.Equal(2, outcome.RoundsCompleted);
        Assert.Equal([1, 2], transport.TrainingDispatches.Keys.Order());
        JobRecord record = store.GetJob(id);
        Assert.Equal(JobState.Cancelled, record.State);
        Assert.Equal(2, record.RoundsCompleted);
        Assert.Equal(2, store.LoadLatestCheckpoint(id)!.Round.Value);
        await Assert.ThrowsAsync<JobStateException>(() => fixture.Runner(store, transport, id).RunAsync(null, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task CancelRequestedWithinRound_ThroughSameStore_CancelsTheRoundAndCommitsNothingOfIt()
    {
        ResumeFixture fixture = ResumeFixture.Create("fedavg");
        using TempDirectory dir = new();
        using SqliteJobStore store = ResumeFixture.OpenStore(dir.File("coordinator.db"));
        string id = store.SubmitJob(JobSubmission.From(fixture.Job)).Id;
        HangingTransport transport = new(new InProcessSiteTransport(fixture.Agents()), hangAtRound: 2);

        Task<JobRunOutcome> run = fixture.Runner(store, transport, id).RunAsync(null, TestContext.Current.CancellationToken);
        await transport.Hanging.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        store.RequestCancel(id);
        JobRunOutcome outcome = await run.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(JobState.Cancelled, outcome.State);
        Assert.Equal(1, outcome.RoundsCompleted);
        Assert.Equal([1], store.GetRounds(id).Select(r => r.Round.Value));
        Assert.Equal(JobState.Cancelled, store.GetJob(id).State);
    }

    [Fact]
    public async Task CancelRequestedWithinRound_FromAnotherProcess_IsSeenByPolling()
    {
        ResumeFixture fixture = ResumeFixture.Create("fedavg");
        using TempDirectory dir = new();
        string path = dir.File("coordinator.db");
        using SqliteJobStore store = ResumeFixture.OpenStore(path);
        string id = store.SubmitJob(JobSubmission.From(fixture.Job)).Id;
        HangingTransport transport = new(new InProcessSiteTransport(fixture.Agents()), hangAtRound: 1);
        Microsoft.Extensions.Time.Testing.FakeTimeProvider time = new();
        JobRunnerOptions options = new() { CancelPollInterval = TimeSpan.FromSeconds(2) };

        Task<JobRunOutcome> run = fixture.Runner(store, transport, id, time, options).RunAsync(null, TestContext.Current.CancellationToken);
        await transport.Hanging.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        using (SqliteJobStore other = ResumeFixture.OpenStore(path))
        {
            other.RequestCancel(id); // another instance: no in-process signal reaches the runner
        }

        Assert.False(run.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(2));
        JobRunOutcome outcome = await run.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(JobState.Cancelled, outcome.State);
        Assert.Equal(0, outcome.RoundsCompleted);
        Assert.Empty(store.GetRounds(id));
    }

    [Fact]
    public async Task JobThatKeepsCrashing_IsFailedAfterMaxAttempts()
    {
        ResumeFixture fixture = ResumeFixture.Create("fedavg");
        using TempDirectory dir = new();
        using SqliteJobStore store = ResumeFixture.OpenStore(dir.File("coordinator.db"));
        string id = store.SubmitJob(JobSubmission.From(fixture.Job)).Id;
        JobRunnerOptions options = new() { MaxAttempts = 2 };
        for (int attempt = 0; attempt < 2; attempt++)
        {
            await Assert.ThrowsAsync<IOException>(() => fixture.Runner(store, new FaultingTransport(new InProcessSiteTransport(fixture.Agents()), 1), id, options: options)
                .RunAsync(null, TestContext.Current.CancellationToken));
        }

        JobRunOutcome outcome = await fixture.Runner(store, new InProcessSiteTransport(fixture.Agents()), id, options: options).RunAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(JobState.Failed, outcome.State);
        JobRecord record = store.GetJob(id);
        Assert.Equal(JobState.Failed, record.State);
        Assert.Contains("gave up after 2 starts", record.StatusMessage, StringComparison.Ordinal);
        Assert.Contains("simulated coordinator crash", record.StatusMessage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResumeIncompleteJobs_RunsInterruptedThenQueuedJobs_AndFailsUnparseableOnes()
    {
        ResumeFixture fedavg = ResumeFixture.Create("fedavg");
        ResumeFixture fedadam = ResumeFixture.Create("fedadam");
        JobResult fedavgReference = await fedavg.ReferenceAsync();
        JobResult fedadamReference = await fedadam.ReferenceAsync();
        using TempDirectory dir = new();
        string path = dir.File("coordinator.db");
        string queued, interrupted, broken;
        using (SqliteJobStore store = ResumeFixture.OpenStore(path))
        {
            queued = store.SubmitJob(JobSubmission.From(fedavg.Job)).Id;
            interrupted = store.SubmitJob(JobSubmission.From(fedadam.Job)).Id;
            broken = store.SubmitJob(new JobSubmission("broken", "bob", "name: [unclosed", 3)).Id;
            await Assert.ThrowsAsync<IOException>(() => fedadam.Runner(store, new FaultingTransport(new InProcessSiteTransport(fedadam.Agents()), 4), interrupted)
                .RunAsync(null, TestContext.Current.CancellationToken));
        }

        using (SqliteJobStore store = ResumeFixture.OpenStore(path))
        {
            List<string> launched = [];
            IReadOnlyList<JobRunOutcome> outcomes = await JobRunner.ResumeIncompleteJobsAsync(
                store,
                (record, job, _) =>
                {
                    launched.Add(record.Id);
                    ResumeFixture fixture = job.Name == fedavg.Job.Name ? fedavg : fedadam;
                    return ValueTask.FromResult(new JobLaunch(new InProcessSiteTransport(fixture.Agents()), fixture.Initial));
                },
                null, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null, TestContext.Current.CancellationToken);

            Assert.Equal([interrupted, queued], launched);
            Assert.Equal([interrupted, queued], outcomes.Select(o => o.JobId));
            ResumeFixture.AssertSameAsReference(fedadamReference, store, interrupted, outcomes[0]);
            ResumeFixture.AssertSameAsReference(fedavgReference, store, queued, outcomes[1]);
            JobRecord failed = store.GetJob(broken);
            Assert.Equal(JobState.Failed, failed.State);
            Assert.Contains("no longer parses", failed.StatusMessage, StringComparison.Ordinal);
        }
    }

    /// <summary>
    /// While the coordinator's connection stays open, a second connection writes round 3 as CommitRound would, with a
    /// tiny page cache so that the uncommitted pages are written to the WAL before the (never reached) commit; the
    /// files are copied at that instant.
    /// </summary>
    private static void CopyFilesWhileRound3IsHalfCommitted(string path, string copy, string id)
    {
        using SqliteConnection writer = new($"Data Source={path};Pooling=False");
        writer.Open();
        Raw(writer, "PRAGMA cache_size = 2;");
        long walBefore = new FileInfo(path + "-wal").Length;
        using SqliteTransaction transaction = writer.BeginTransaction();
        Raw(writer, $"""
            INSERT INTO rounds (job_id, round, report, completed_at) SELECT job_id, 3, report, completed_at FROM rounds WHERE job_id = '{id}' AND round = 2;
            INSERT INTO checkpoints (job_id, round, model_round, model, model_sha256, state_type, state, created_at)
                SELECT job_id, 3, 3, randomblob(400000), model_sha256, state_type, state, created_at FROM checkpoints WHERE job_id = '{id}' AND round = 2;
            UPDATE jobs SET status = 'completed' WHERE id = '{id}';
            """, transaction);
        long walDuring = new FileInfo(path + "-wal").Length;
        Assert.True(walDuring > walBefore + 400000, $"the uncommitted round did not reach the WAL ({walBefore} → {walDuring} bytes)");

        // kill -9 now: what is on disk is the database file and the WAL (the shared-memory index is rebuilt).
        File.Copy(path, copy);
        File.Copy(path + "-wal", copy + "-wal");
        transaction.Rollback();
    }

    private static void ExecuteRaw(string path, string sql)
    {
        using SqliteConnection connection = new($"Data Source={path};Pooling=False");
        connection.Open();
        Raw(connection, sql);
    }

    private static void Raw(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Hangs the training dispatch of one round until cancelled.</summary>
    private sealed class HangingTransport(ISiteTransport inner, int hangAtRound) : ISiteTransport
    {
        public TaskCompletionSource Hanging { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<Federation.SiteId> Roster => inner.Roster;

        public async IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            if (tasks.Count > 0 && tasks[0] is TrainTask train && train.Round.Value == hangAtRound)
            {
                TaskCompletionSource never = new(TaskCreationOptions.RunContinuationsAsynchronously);
                using CancellationTokenRegistration registration = cancellationToken.Register(() => never.TrySetCanceled(cancellationToken));
                Hanging.TrySetResult();
                await never.Task;
            }

            await foreach (SiteReply reply in inner.DispatchAsync(tasks, deadline, cancellationToken))
            {
                yield return reply;
            }
        }
    }
}
