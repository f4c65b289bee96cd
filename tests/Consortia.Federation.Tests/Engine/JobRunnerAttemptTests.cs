using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Federation.Tests.Engine;

/// <summary>A round interrupted by a coordinator crash runs again under a new attempt, which the sites accept once.</summary>
public sealed class JobRunnerAttemptTests
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);
    private static readonly LocalTrainingOptions s_training = new() { BatchSize = 8, LocalSteps = 2 };

    [Fact]
    public async Task CrashAfterTheSitesTrainedARound_TheResumedRoundIsANewAttempt_AndEverySiteContributes()
    {
        FederatedDataset data = Some.ClassificationFederation();
        SiteAgent[] agents = TestSites.Agents(data, s_spec, [MetricKind.Accuracy], 8, i => new RandomSource(3).Derive((ulong)i)); // the sites outlive the coordinator
        JobDefinition job = RunnerHarness.JobFor(new RoundEngineOptions { Rounds = 3 }, 9);
        using InMemoryJobStore store = new(TimeProvider.System);
        string id = store.SubmitJob(JobSubmission.From(job)).Id;
        RecordingTransport transport = new(new InProcessSiteTransport(agents)) { CrashAfterRound = 2 };
        JobRunner Runner() => new(store, transport, id, job, new GlobalModel(s_spec, new ParameterVector(s_spec.CreateLayout()), new RoundNumber(0)), TimeProvider.System, NullLogger.Instance)
        {
            Strategy = new FedAvgStrategy(new FedAvgOptions { Training = s_training }),
        };

        await Assert.ThrowsAsync<IOException>(() => Runner().RunAsync(null, TestContext.Current.CancellationToken));
        transport.CrashAfterRound = null;
        JobRunOutcome outcome = await Runner().RunAsync(null, TestContext.Current.CancellationToken);

        Assert.Equal(JobState.Completed, outcome.State);
        Assert.Equal(new[] { (1, 1), (2, 1), (2, 2), (3, 2) }, transport.Identities.Distinct());
        Assert.All(store.GetRounds(id), r => Assert.Equal(agents.Length, r.Report.Contributors.Count));
        Assert.All(transport.Replies, r => Assert.IsNotType<Refused>(r));
        foreach (SiteAgent agent in agents)
        {
            agent.Dispose();
        }
    }

    /// <summary>Records every training task's (round, attempt) and every reply; can crash after a round's replies arrived (before its commit).</summary>
    private sealed class RecordingTransport(ISiteTransport inner) : ISiteTransport
    {
        public int? CrashAfterRound { get; set; }

        public ConcurrentQueue<(int Round, int Attempt)> Identities { get; } = new();

        public ConcurrentQueue<SiteReply> Replies { get; } = new();

        public IReadOnlyList<SiteId> Roster => inner.Roster;

        public async IAsyncEnumerable<SiteReply> DispatchAsync(IReadOnlyList<SiteTask> tasks, TimeSpan? deadline, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (TrainTask train in tasks.OfType<TrainTask>())
            {
                Identities.Enqueue((train.Round.Value, train.Attempt));
            }

            await foreach (SiteReply reply in inner.DispatchAsync(tasks, deadline, cancellationToken))
            {
                Replies.Enqueue(reply);
                yield return reply;
            }

            if (tasks.Count > 0 && tasks[0].Round.Value == CrashAfterRound)
            {
                throw new IOException("the coordinator died after the sites trained this round");
            }
        }
    }
}
