using System.Runtime.CompilerServices;
using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Network.Coordinator;
using Consortia.Federation.Jobs.Store;
using Consortia.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Network.Tests.Persistence;

/// <summary>A small logistic job (3 sites, 6 rounds) built as the simulation builds it, and its uninterrupted reference run.</summary>
internal sealed class ResumeFixture
{
    public const int Rounds = 6;

    private ResumeFixture(string strategy, JobDefinition job, FederatedDataset data, GlobalModel initial)
    {
        Strategy = strategy;
        Job = job;
        Data = data;
        Initial = initial;
    }

    public string Strategy { get; }

    public JobDefinition Job { get; }

    public FederatedDataset Data { get; }

    public GlobalModel Initial { get; }

    public static string Yaml(string strategy, int rounds = Rounds, string extra = "") => $"""
        version: 1
        name: resume-{strategy}
        owner: alice@example.org
        seed: 7
        data:
          format: flamby-heart-disease  # never loaded: the tests' sites hold their own data
          path: unused
        model:
          kind: logistic
        training:
          rounds: {rounds}
          local_steps: 4
          batch_size: 8
          optimizer:
            kind: sgd
            learning_rate: 0.1
        strategy:
          kind: {strategy}
        evaluation:
          every: 2
          metrics: [accuracy, log_loss]
        {extra}
        """;

    public static ResumeFixture Create(string strategy, string extraYaml = "")
    {
        JobDefinition job = JobFile.Parse(Yaml(strategy, Rounds, extraYaml), "resume.yaml");
        FederatedDataset data = Some.ClassificationFederation(3, seed: 11);
        ModelSpec spec = job.ModelFor(data.Sites[0].Train.FeatureCount);
        ParameterVector initial = new(spec.CreateLayout());
        spec.CreateModel(1).Initialize(initial.Values, new RandomSource(job.Seed).Derive("init"));
        return new ResumeFixture(strategy, job, data, new GlobalModel(spec, initial, new RoundNumber(0)));
    }

    /// <summary>The sites, built as <c>FederatedSimulation</c> builds them (they keep SCAFFOLD's control variates between rounds).</summary>
    /// <param name="budgets">Each site's privacy budget ledger (DP jobs), or <see langword="null"/>.</param>
    public SiteAgent[] Agents(IReadOnlyList<Consortia.Privacy.Budget.PrivacyBudgetLedger>? budgets = null)
    {
        RandomSource random = new(Job.Seed);
        JobDefinition job = Job with { Columns = Data.Sites[0].Train.FeatureNames };
        Consortia.Governance.Policies.PolicyEvaluator policy = TestSites.Accepting(job);
        return [.. Data.Sites.Select((s, i) => new SiteBuilder
        {
            Job = job,
            Site = new SiteId(s.Name),
            Train = s.Train,
            Test = s.Test,
            Task = Data.Task,
            Randomness = SiteRandomness.Seeded(random.Derive("site").Derive((ulong)i)),
            Time = TimeProvider.System,
            Policy = policy,
            Budget = budgets?[i],
        }.Build())];
    }

    /// <summary>The uninterrupted run: the runner over an in-memory store.</summary>
    public Task<JobResult> ReferenceAsync() =>
        RunnerHarness.RunAsync(new InProcessSiteTransport(Agents()), Job.CreateStrategy(), Job, Initial, TestContext.Current.CancellationToken);

    public static SqliteJobStore OpenStore(string path, int? keep = 5) =>
        SqliteJobStore.Open(new SqliteJobStoreOptions { Path = path, CheckpointsToKeep = keep }, TimeProvider.System);

    public JobRunner Runner(SqliteJobStore store, ISiteTransport transport, string jobId, TimeProvider? time = null, JobRunnerOptions? options = null) =>
        new(store, transport, jobId, JobRunner.ParseStoredJob(store.GetJob(jobId)), Initial, time ?? TimeProvider.System, NullLogger.Instance, options);

    /// <summary>Asserts the stored history is rounds 1..R, once each, equal to the reference reports, and the final model is the reference's bit for bit.</summary>
    public static void AssertSameAsReference(JobResult reference, SqliteJobStore store, string jobId, JobRunOutcome outcome)
    {
        Assert.Equal(JobState.Completed, outcome.State);
        Assert.True(reference.FinalModel.Parameters.ContentEquals(outcome.Model.Parameters), "final parameters differ from the uninterrupted run");
        Assert.Equal(reference.FinalModel.Round, outcome.Model.Round);

        IReadOnlyList<StoredRound> rounds = store.GetRounds(jobId);
        Assert.Equal(Enumerable.Range(1, reference.Rounds.Count), rounds.Select(r => r.Round.Value));
        for (int i = 0; i < rounds.Count; i++)
        {
            RoundReport expected = reference.Rounds[i], actual = rounds[i].Report;
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected.TrainLoss), BitConverter.DoubleToInt64Bits(actual.TrainLoss));
            Assert.Equal(expected.Contributors, actual.Contributors);
            Assert.Equal(expected.UpdateHashes, actual.UpdateHashes);
            Assert.Equal(expected.Evaluation?.Mean, actual.Evaluation?.Mean);
        }

        Checkpoint latest = store.LoadLatestCheckpoint(jobId)!;
        Assert.Equal(reference.Rounds.Count, latest.Round.Value);
        Assert.True(reference.FinalModel.Parameters.ContentEquals(latest.Parameters));
        JobRecord record = store.GetJob(jobId);
        Assert.Equal(JobState.Completed, record.State);
        Assert.Equal(reference.Rounds.Count, record.RoundsCompleted);
    }
}

/// <summary>How a test stops the coordinator in the middle of a round.</summary>
public enum Interruption
{
    /// <summary>The transport throws, as if the process died under it (nothing reaches the sites).</summary>
    TransportThrows,

    /// <summary>The host's cancellation token fires (shutdown) while the round is being dispatched.</summary>
    HostShutdown,
}

/// <summary>Passes tasks to an inner transport, counting training dispatches per round, and stops the coordinator at one round.</summary>
internal sealed class FaultingTransport(ISiteTransport inner, int stopAtRound = int.MaxValue, Interruption how = Interruption.TransportThrows, CancellationTokenSource? host = null) : ISiteTransport
{
    public Dictionary<int, int> TrainingDispatches { get; } = [];

    public IReadOnlyList<SiteId> Roster => inner.Roster;

    public async IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (tasks.Count > 0 && tasks[0] is TrainTask train)
        {
            int round = train.Round.Value;
            if (round == stopAtRound)
            {
                if (how == Interruption.HostShutdown)
                {
                    await host!.CancelAsync();
                    cancellationToken.ThrowIfCancellationRequested();
                }

                throw new IOException($"simulated coordinator crash while dispatching round {round}");
            }

            TrainingDispatches[round] = TrainingDispatches.GetValueOrDefault(round) + 1;
        }

        await foreach (SiteReply reply in inner.DispatchAsync(tasks, deadline, cancellationToken))
        {
            yield return reply;
        }
    }
}

/// <summary>Reports synchronously (unlike <see cref="Progress{T}"/>, which posts).</summary>
internal sealed class SyncProgress<T>(Action<T> action) : IProgress<T>
{
    public void Report(T value) => action(value);
}
