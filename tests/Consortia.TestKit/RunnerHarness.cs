using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Strategies;
using Consortia.Federation.Transport;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.TestKit;

/// <summary>Runs a strategy over a transport the only way rounds are run: a <see cref="JobRunner"/> over an in-memory store.</summary>
public static class RunnerHarness
{
    /// <summary>A job with <paramref name="engine"/>'s rounds and settings and <paramref name="seed"/> (its data and training are never read: pass the strategy to the runner).</summary>
    /// <param name="engine">Rounds, evaluation, secure aggregation, DP.</param>
    /// <param name="seed">The job seed.</param>
    /// <returns>The job, with YAML source text so that it can be stored.</returns>
    public static JobDefinition JobFor(RoundEngineOptions engine, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(engine);
        return new JobDefinition
        {
            Name = engine.JobName,
            Seed = seed,
            Data = new DataSourceOptions { Format = DataFormat.Csv, Path = "unused.csv" },
            ModelKind = ModelKind.Logistic,
            Engine = engine,
            Training = new LocalTrainingOptions(),
            SourceText = $"name: {engine.JobName}\n",
        };
    }

    /// <summary>Runs every round of a job made of <paramref name="strategy"/> and <paramref name="engine"/>.</summary>
    /// <param name="transport">The sites.</param>
    /// <param name="strategy">The strategy.</param>
    /// <param name="engine">Rounds, evaluation, secure aggregation, DP.</param>
    /// <param name="initial">The initial model.</param>
    /// <param name="seed">The job seed.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The final model and every committed round's report, as the store gives them back.</returns>
    public static Task<JobResult> RunAsync(ISiteTransport transport, IStrategy strategy, RoundEngineOptions engine, GlobalModel initial, ulong seed, CancellationToken cancellationToken) =>
        RunAsync(transport, strategy, JobFor(engine, seed), initial, cancellationToken);

    /// <summary>Runs every round of <paramref name="job"/> (which must have its YAML text) with <paramref name="strategy"/>.</summary>
    /// <param name="transport">The sites (they accept tasks of <paramref name="job"/> only).</param>
    /// <param name="strategy">The strategy.</param>
    /// <param name="job">The job.</param>
    /// <param name="initial">The initial model.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The final model and every committed round's report, as the store gives them back.</returns>
    public static async Task<JobResult> RunAsync(ISiteTransport transport, IStrategy strategy, JobDefinition job, GlobalModel initial, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(initial);
        using InMemoryJobStore store = new(TimeProvider.System);
        string id = store.SubmitJob(JobSubmission.From(job)).Id;
        JobRunner runner = new(store, transport, id, job, initial, TimeProvider.System, NullLogger.Instance) { Strategy = strategy };
        long start = TimeProvider.System.GetTimestamp();
        JobRunOutcome outcome = await runner.RunAsync(null, cancellationToken).ConfigureAwait(false);
        if (outcome.State != JobState.Completed)
        {
            throw new InvalidOperationException($"the job ended {outcome.State}: {outcome.Message}");
        }

        return new JobResult(outcome.Model, [.. store.GetRounds(id).Select(r => r.Report)], TimeProvider.System.GetElapsedTime(start));
    }
}
