using System.Collections.Immutable;
using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Evaluation;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.Budget;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Federation.Simulation;

/// <summary>Runs a job on one machine: one in-process <see cref="SiteAgent"/> per site, the real engine and strategy.</summary>
public static class FederatedSimulation
{
    /// <summary>Loads the job's data and runs the federated job and its baselines.</summary>
    /// <param name="job">The job.</param>
    /// <param name="progress">Receives each round's report.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The result.</returns>
    /// <param name="stateDirectory">Where the sites keep state that outlives the run (privacy budget ledgers); <see langword="null"/> for a temporary folder.</param>
    /// <param name="time">The run's clock: site policies' schedules, budget and audit ledgers.</param>
    public static Task<SimulationResult> RunAsync(JobDefinition job, IProgress<RoundReport>? progress, string? stateDirectory, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        string baseDirectory = job.SourcePath is { } path ? Path.GetDirectoryName(path) ?? "." : Directory.GetCurrentDirectory();
        FederatedDataset data = FederatedDataLoader.Load(job.Data, baseDirectory);
        return RunAsync(job, data, progress, stateDirectory, time, cancellationToken);
    }

    /// <summary>Runs the federated job and its baselines on already-loaded data.</summary>
    /// <param name="job">The job.</param>
    /// <param name="data">The per-site data.</param>
    /// <param name="progress">Receives each round's report.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The result.</returns>
    /// <param name="stateDirectory">Where the sites keep state that outlives the run (privacy budget ledgers); <see langword="null"/> for a temporary folder.</param>
    /// <param name="time">The run's clock: site policies' schedules, budget and audit ledgers.</param>
    /// <remarks>Each site enforces its policy from the job's <c>policies:</c> section; a site without one refuses every round.</remarks>
    public static Task<SimulationResult> RunAsync(JobDefinition job, FederatedDataset data, IProgress<RoundReport>? progress, string? stateDirectory, TimeProvider time, CancellationToken cancellationToken) =>
        RunAsync(job, data, progress, stateDirectory, time, null, cancellationToken);

    /// <summary>As the public overload, with each site's policy given by <paramref name="policies"/> instead of the job's <c>policies:</c> section.</summary>
    internal static async Task<SimulationResult> RunAsync(
        JobDefinition job, FederatedDataset data, IProgress<RoundReport>? progress, string? stateDirectory, TimeProvider time, Func<string, Governance.Policies.PolicyEvaluator?>? policies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(time);
        ModelSpec spec = job.ModelFor(data.Sites[0].Train.FeatureCount);
        spec.Validate();
        IReadOnlyList<MetricKind> metrics = job.MetricsFor(data.Task);
        RandomSource random = new(job.Seed);

        // Audit ledgers (coordinator and every site) when the run has a state directory: the same events a
        // deployment records, so that `consortia audit verify/cross-check` and the compliance report work on them.
        SimulationLedgers? ledgers = stateDirectory is not null ? SimulationLedgers.Create(stateDirectory, job, data.Sites.Select(s => s.Name), time) : null;
        using SimulatedSites sites = SimulatedSites.Create(job, data, stateDirectory, ledgers, time, policies);
        if (ledgers is not null)
        {
            IProgress<RoundReport>? outer = progress;
            progress = new RoundAudit(ledgers, job.Name, outer);
        }
        InProcessSiteTransport transport = new(sites.Agents);
        // Client-level DP: the coordinator's noise is seeded from the job in simulation (cryptographic when deployed).
        IStrategy strategy = job.CreateStrategy(Strategies.ClientDp.ClientDpStrategy.SeededNoise);
        RoundEngine engine = new(transport, strategy, job.Engine);

        ParameterVector initial = new(spec.CreateLayout());
        spec.CreateModel(1).Initialize(initial.Values, random.Derive("init"));
        JobResult federated = await engine.RunAsync(new GlobalModel(spec, initial, new RoundNumber(0)), random, progress, cancellationToken).ConfigureAwait(false);

        ledgers?.Release(job.Name, federated.FinalModel.Parameters);
        ledgers?.Dispose();
        SitePrivacyReport[] privacy = sites.Privacy;
        MetricSummary final = federated.Rounds[^1].Evaluation
            ?? Evaluate(spec, federated.FinalModel.Parameters, data.Sites.Select(s => (s.Name, s.Test)).ToArray(), metrics);
        List<BaselineResult> baselines = [];
        if (job.Baselines is { } options)
        {
            baselines.AddRange(await Task.Run(() => RunBaselines(job, data, options), cancellationToken).ConfigureAwait(false));
        }

        return new SimulationResult(job, data.Task, spec, federated, final, baselines)
        {
            Privacy = privacy,
            ClientPrivacy = (strategy as Strategies.ClientDp.ClientDpStrategy)?.Calibration,
        };
    }

    /// <summary>Trains and evaluates the non-federated baselines: one model per site (local) and one on pooled data.</summary>
    /// <param name="job">The job (model, metrics and seed).</param>
    /// <param name="data">The per-site data.</param>
    /// <param name="options">Which baselines and how they train.</param>
    /// <returns>Each baseline's test metrics at every site.</returns>
    /// <remarks>Baselines start from the same initial parameters as the federated model for the same seed.</remarks>
    public static IReadOnlyList<BaselineResult> RunBaselines(JobDefinition job, FederatedDataset data, BaselineOptions options)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ModelSpec spec = job.ModelFor(data.Sites[0].Train.FeatureCount);
        IReadOnlyList<MetricKind> metrics = job.MetricsFor(data.Task);
        RandomSource jobRandom = new(job.Seed);
        ParameterVector initial = new(spec.CreateLayout());
        spec.CreateModel(1).Initialize(initial.Values, jobRandom.Derive("init"));
        RandomSource random = jobRandom.Derive("baselines");
        List<BaselineResult> results = [];
        (string, Dataset)[] siteTests = [.. data.Sites.Select(s => (s.Name, s.Test))];
        if (options.Pooled)
        {
            ParameterVector p = Train(spec, data.Pooled.Train, options.Training, random.Derive("pooled"), initial);
            results.Add(new BaselineResult("pooled", Evaluate(spec, p, PooledTestsBySite(data), metrics)));
        }

        if (options.Local)
        {
            for (int i = 0; i < data.Sites.Count; i++)
            {
                ParameterVector p = Train(spec, data.Sites[i].Train, options.Training, random.Derive("local").Derive((ulong)i), initial);
                results.Add(new BaselineResult($"local:{data.Sites[i].Name}", Evaluate(spec, p, siteTests, metrics)));
            }
        }

        return results;
    }

    /// <summary>Splits the pooled test set (site order, pooled preprocessing) back into per-site parts.</summary>
    private static (string, Dataset)[] PooledTestsBySite(FederatedDataset data)
    {
        var parts = new (string, Dataset)[data.Sites.Count];
        int offset = 0;
        for (int i = 0; i < data.Sites.Count; i++)
        {
            int count = data.Sites[i].Test.Count;
            int[] rows = [.. Enumerable.Range(offset, count)];
            parts[i] = (data.Sites[i].Name, data.Pooled.Test.Select(rows));
            offset += count;
        }

        return parts;
    }

    private static ParameterVector Train(ModelSpec spec, Dataset train, LocalTrainingOptions options, RandomSource random, ParameterVector initial)
    {
        LocalTrainer trainer = new(spec, options.BatchSize);
        ParameterVector p = initial.Clone();
        trainer.Train(p.Values, train, options, random);
        return p;
    }

    private static MetricSummary Evaluate(ModelSpec spec, ParameterVector parameters, IReadOnlyList<(string Name, Dataset Test)> tests, IReadOnlyList<MetricKind> metrics)
    {
        IModel model = spec.CreateModel(256);
        EvaluationReport[] reports = [.. tests.Select(t => new EvaluationReport(
            new SiteId(t.Name),
            t.Test.Count,
            [.. ModelEvaluator.Evaluate(model, parameters.Values, t.Test, metrics).Select(v => new MetricValue(v.Kind, v.Value))]))];
        return MetricSummary.FromReports(reports);
    }
}
