using Consortia.Data;
using Consortia.Data.Partitioning;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Optimization;
using Consortia.Learning.Training;

namespace Consortia.Federation.Benchmarking;

/// <summary>
/// The poisoning drill: a dataset re-split into many IID virtual sites, some of them malicious
/// (<c>simulation.malicious</c>), trained with FedAvg clean, FedAvg attacked, and attacked under each defence (update
/// norm bounding and the robust rules); every row on the same split, seed and initial model.
/// </summary>
public static class PoisoningBenchmark
{
    /// <summary>The rows, in order: the clean reference, the undefended attacked run, then each defence under attack.</summary>
    public static IReadOnlyList<(string Name, bool Attacked, StrategySettings Strategy)> Rows { get; } =
    [
        ("FedAvg, clean", false, new StrategySettings { Kind = StrategyKind.FedAvg }),
        ("FedAvg, attacked", true, new StrategySettings { Kind = StrategyKind.FedAvg }),
        ("FedAvg + norm bound (median), attacked", true, new StrategySettings { Kind = StrategyKind.FedAvg, NormBoundAtMedian = true }),
        ("Median, attacked", true, new StrategySettings { Kind = StrategyKind.Median }),
        ("Trimmed mean (β 0.2), attacked", true, new StrategySettings { Kind = StrategyKind.TrimmedMean, TrimFraction = 0.2 }),
        ("Multi-Krum (f 2), attacked", true, new StrategySettings { Kind = StrategyKind.MultiKrum, ByzantineSites = 2 }),
    ];

    /// <summary>Re-splits <paramref name="data"/> (all its rows, train and test) into <paramref name="settings"/>' sites, IID, standardised with pooled statistics.</summary>
    /// <param name="data">The dataset (e.g. FLamby's Heart, four centers).</param>
    /// <param name="settings">The drill.</param>
    /// <returns>The virtual sites <c>site-0</c> … <c>site-(n−1)</c>.</returns>
    public static FederatedDataset Split(FederatedDataset data, PoisoningSettings settings)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(settings);
        Dataset rows = Dataset.Concat([.. data.Sites.SelectMany(s => new[] { s.Train, s.Test })]);
        return SimulatedFederation.Create($"{data.Name}-{settings.Sites}-sites", data.Task, rows, new IidPartitioner(), settings.Sites, new RandomSource(settings.Seed).Derive("poisoning-split"), 0.25, Standardization.Pooled);
    }

    /// <summary>Runs every row on <paramref name="sites"/>.</summary>
    /// <param name="sites">The virtual sites (<see cref="Split"/>).</param>
    /// <param name="settings">The drill.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>Each row's test accuracy over all sites' test rows (weighted by test examples) and its distance to the clean row.</returns>
    public static async Task<IReadOnlyList<PoisoningRow>> RunAsync(FederatedDataset sites, PoisoningSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sites);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        MaliciousSite[] malicious = [.. sites.Sites.Take(settings.MaliciousSites).Select(s => new MaliciousSite(s.Name, settings.Attack, settings.Factor))];
        List<PoisoningRow> rows = [];
        double clean = double.NaN;
        foreach ((string name, bool attacked, StrategySettings strategy) in Rows)
        {
            JobDefinition job = new()
            {
                Name = "poisoning-drill",
                Seed = settings.Seed,
                Data = new DataSourceOptions { Format = DataFormat.Csv, Path = sites.Name },
                ModelKind = ModelKind.Logistic,
                Engine = new RoundEngineOptions { Rounds = settings.Rounds, EvaluateEvery = settings.Rounds },
                Strategy = strategy,
                Training = new LocalTrainingOptions { BatchSize = 8, LocalSteps = settings.LocalSteps, Optimizer = new OptimizerOptions { Kind = OptimizerKind.Sgd, LearningRate = settings.LearningRate } },
                Metrics = [MetricKind.Accuracy],
                Malicious = attacked ? malicious : [],
            };
            SimulationResult result = await MeasurementPolicy.RunAsync(job, sites, cancellationToken).ConfigureAwait(false);
            double accuracy = result.Final.Weighted[0].Value;
            if (!attacked)
            {
                clean = accuracy;
            }

            rows.Add(new PoisoningRow(name, JobFile.NameOf(strategy.Kind), attacked ? malicious.Length : 0, accuracy, accuracy - clean));
        }

        return rows;
    }
}
