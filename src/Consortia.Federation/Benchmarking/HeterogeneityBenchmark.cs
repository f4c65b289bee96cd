using System.Diagnostics;
using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Federation.Simulation.Profiles;
using Consortia.Federation.Strategies.Scheduling;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Optimization;
using Consortia.Learning.Training;

namespace Consortia.Federation.Benchmarking;

/// <summary>
/// <c>consortia bench heterogeneity</c>: a simulated consortium whose sites differ 10× in speed and drop out of 20 % of
/// rounds, against a balanced one (every site at the middle speed, always there), per strategy: simulated time to the
/// balanced run's final accuracy, and accuracy.
/// </summary>
/// <remarks>
/// Every run is the ordinary simulation (the deployed coordinator's runner over in-process sites) with site profiles,
/// so time is simulated on the virtual clock: the figures are consortium hours, not this machine's seconds.
/// </remarks>
public static class HeterogeneityBenchmark
{
    /// <summary>The balanced consortium's speed (examples per second) and the heterogeneous one's geometric mean.</summary>
    public const double MiddleSpeed = 50;

    /// <summary>The heterogeneous consortium's dropout probability per site and round.</summary>
    public const double Dropout = 0.2;

    /// <summary>The heterogeneous consortium's speed spread (fastest ÷ slowest).</summary>
    public const double Spread = 10;

    /// <summary>Runs the benchmark on Fed-Heart-Disease.</summary>
    /// <param name="data">The dataset (FLamby's split and preprocessing).</param>
    /// <param name="dataFolder">The dataset's folder (recorded in the jobs).</param>
    /// <param name="seed">The job seed.</param>
    /// <param name="rounds">The balanced run's rounds; the heterogeneous runs get three times as many to reach its accuracy.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The rows, balanced first.</returns>
    public static async Task<HeterogeneityBenchmarkResult> RunAsync(FederatedDataset data, string dataFolder, ulong seed, int rounds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        Stopwatch wall = Stopwatch.StartNew();
        string[] sites = [.. data.Sites.Select(s => s.Name)];
        JobDefinition baseJob = BaseJob(dataFolder, seed, rounds);
        TimeSpan nominal = TimeSpan.FromSeconds(baseJob.Training.LocalSteps!.Value * baseJob.Training.BatchSize / MiddleSpeed);

        // The balanced consortium sets the target: its final accuracy, and the simulated time it took to first reach it.
        RunTrace balanced = await RunAsync(baseJob with { Profiles = Balanced(sites) }, data, cancellationToken).ConfigureAwait(false);
        double target = balanced.FinalAccuracy;
        TimeSpan balancedTime = balanced.TimeTo(target) ?? balanced.Total;

        SimulationProfiles heterogeneous = Heterogeneous(sites);
        int longer = 3 * rounds;
        // Deadline: the time a middle-speed site needs for the job's work, plus room for transfers (WorkShare).
        SchedulingOptions scheduled = new()
        {
            Fraction = 0.75,
            OverSelection = 0.34,
            Deadline = nominal / 0.9,
            CapacitySizedWork = true,
            WorkShare = 0.9,
        };
        (string Name, JobDefinition Job)[] variants =
        [
            ("fedavg-sync", baseJob with { Profiles = heterogeneous, Engine = baseJob.Engine with { Rounds = longer } }),
            ("deadline+over-selection+capacity", baseJob with { Profiles = heterogeneous, Scheduling = scheduled, Engine = baseJob.Engine with { Rounds = longer } }),
            ("deadline+capacity (all sites)", baseJob with { Profiles = heterogeneous, Scheduling = scheduled with { Fraction = 1, OverSelection = 0 }, Engine = baseJob.Engine with { Rounds = longer } }),
            ("fedbuff (buffer 2)", baseJob with { Profiles = heterogeneous, Scheduling = new SchedulingOptions { Buffer = 2 }, Engine = baseJob.Engine with { Rounds = 2 * longer } }),
        ];
        List<HeterogeneityBenchmarkRow> rows = [Row("balanced", "fedavg-sync", balanced, target, balancedTime, balanced.Total)];
        foreach ((string name, JobDefinition job) in variants)
        {
            RunTrace trace = await RunAsync(job, data, cancellationToken).ConfigureAwait(false);
            rows.Add(Row("heterogeneous", name, trace, target, balancedTime, balanced.Total));
        }

        return new HeterogeneityBenchmarkResult("heart-disease", seed, target, balancedTime, Spread, Dropout, rows, wall.Elapsed);
    }

    /// <summary>The balanced consortium: every site at <see cref="MiddleSpeed"/>, never dropping out.</summary>
    /// <param name="sites">The site names.</param>
    /// <returns>The profiles.</returns>
    public static SimulationProfiles Balanced(IReadOnlyList<string> sites) =>
        new(new Dictionary<string, SiteProfileSettings> { [SimulationProfiles.DefaultKey] = new() { Speed = ProfileRange.Fixed(MiddleSpeed) } });

    /// <summary>The heterogeneous consortium: speeds spread evenly (in log scale) over <see cref="Spread"/>× around <see cref="MiddleSpeed"/>, each site dropping out of <see cref="Dropout"/> of rounds.</summary>
    /// <param name="sites">The site names, slowest first.</param>
    /// <returns>The profiles.</returns>
    public static SimulationProfiles Heterogeneous(IReadOnlyList<string> sites)
    {
        ArgumentNullException.ThrowIfNull(sites);
        Dictionary<string, SiteProfileSettings> profiles = [];
        for (int i = 0; i < sites.Count; i++)
        {
            double position = sites.Count == 1 ? 0.5 : (double)i / (sites.Count - 1);
            double speed = MiddleSpeed * Math.Pow(Spread, position - 0.5);
            profiles[sites[i]] = new SiteProfileSettings { Speed = ProfileRange.Fixed(speed), Dropout = Dropout };
        }

        return new SimulationProfiles(profiles);
    }

    private static JobDefinition BaseJob(string dataFolder, ulong seed, int rounds) => new()
    {
        Name = "bench-heterogeneity",
        Seed = seed,
        Data = new DataSourceOptions { Format = DataFormat.FlambyHeartDisease, Path = dataFolder },
        ModelKind = ModelKind.Logistic,
        Engine = new RoundEngineOptions { Rounds = rounds, EvaluateEvery = 1, JobName = "bench-heterogeneity" },
        Training = new LocalTrainingOptions { BatchSize = 4, LocalSteps = 100, Optimizer = new OptimizerOptions { Kind = OptimizerKind.Sgd, LearningRate = 0.01f } },
        Metrics = [MetricKind.Accuracy],
    };

    private static HeterogeneityBenchmarkRow Row(string consortium, string strategy, RunTrace trace, double target, TimeSpan balancedTime, TimeSpan balancedTotal)
    {
        TimeSpan? time = trace.TimeTo(target);
        return new HeterogeneityBenchmarkRow(
            consortium, strategy, trace.FinalAccuracy, trace.AccuracyAt(balancedTotal), time,
            time is { } t ? t / balancedTime : null, trace.Total, trace.Points.Count, trace.MeanContributors);
    }

    private static async Task<RunTrace> RunAsync(JobDefinition job, FederatedDataset data, CancellationToken cancellationToken)
    {
        SimulationResult result = await MeasurementPolicy.RunAsync(job, data, cancellationToken).ConfigureAwait(false);
        List<(TimeSpan At, double Accuracy)> points = [];
        TimeSpan at = TimeSpan.Zero;
        foreach (RoundReport round in result.Federated.Rounds)
        {
            at += round.Elapsed; // the round's simulated duration (the virtual clock moved as its sites finished)
            points.Add((at, round.Evaluation?.Mean[0].Value ?? double.NaN));
        }

        return new RunTrace(points, result.Federated.Rounds.Average(r => (double)r.Contributors.Count));
    }

    /// <summary>A run's accuracy after each round, on the simulated timeline.</summary>
    private sealed record RunTrace(IReadOnlyList<(TimeSpan At, double Accuracy)> Points, double MeanContributors)
    {
        public double FinalAccuracy => Points[^1].Accuracy;

        public TimeSpan Total => Points[^1].At;

        /// <summary>When the accuracy first reached <paramref name="target"/>, or <see langword="null"/>.</summary>
        public TimeSpan? TimeTo(double target)
        {
            foreach ((TimeSpan at, double accuracy) in Points)
            {
                if (accuracy >= target - 1e-12)
                {
                    return at;
                }
            }

            return null;
        }

        /// <summary>The accuracy of the last round finished by <paramref name="budget"/> (NaN if none was).</summary>
        public double AccuracyAt(TimeSpan budget)
        {
            double accuracy = double.NaN;
            foreach ((TimeSpan at, double value) in Points.Where(p => p.At <= budget))
            {
                accuracy = value;
            }

            return accuracy;
        }
    }
}

/// <summary>One consortium × strategy of <c>bench heterogeneity</c>.</summary>
/// <param name="Consortium"><c>balanced</c> or <c>heterogeneous</c>.</param>
/// <param name="Strategy">The scheduling.</param>
/// <param name="FinalAccuracy">Mean test accuracy over sites after the run's last round.</param>
/// <param name="AccuracyAtBalancedTime">Accuracy when the balanced run ended (same simulated time budget).</param>
/// <param name="TimeToTarget">Simulated time to first reach the balanced run's final accuracy, or <see langword="null"/> if never.</param>
/// <param name="TimeRatio"><paramref name="TimeToTarget"/> ÷ the balanced run's, or <see langword="null"/>.</param>
/// <param name="SimulatedTime">The run's whole simulated time.</param>
/// <param name="Rounds">Rounds run.</param>
/// <param name="MeanContributors">Mean sites aggregated per round.</param>
public sealed record HeterogeneityBenchmarkRow(
    string Consortium, string Strategy, double FinalAccuracy, double AccuracyAtBalancedTime, TimeSpan? TimeToTarget, double? TimeRatio, TimeSpan SimulatedTime, int Rounds, double MeanContributors);

/// <summary>The result of <c>bench heterogeneity</c>.</summary>
/// <param name="Dataset">The dataset.</param>
/// <param name="Seed">The job seed.</param>
/// <param name="TargetAccuracy">The balanced run's final accuracy.</param>
/// <param name="BalancedTime">The balanced run's simulated time to it.</param>
/// <param name="Spread">Fastest ÷ slowest site speed in the heterogeneous consortium.</param>
/// <param name="Dropout">Its per-round dropout probability.</param>
/// <param name="Rows">The rows, balanced first.</param>
/// <param name="WallTime">How long the benchmark took on this machine.</param>
public sealed record HeterogeneityBenchmarkResult(string Dataset, ulong Seed, double TargetAccuracy, TimeSpan BalancedTime, double Spread, double Dropout, IReadOnlyList<HeterogeneityBenchmarkRow> Rows, TimeSpan WallTime);
