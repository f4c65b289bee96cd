using System.Diagnostics;
using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Federation.Sites;
using Consortia.Governance.Policies;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;

namespace Consortia.Federation.Benchmarking;

/// <summary>
/// <c>consortia bench scale</c>: a FedAvg job over many virtual sites in one process, run by the simulator exactly as any
/// simulated job (one <see cref="SiteAgent"/> per site composed by <see cref="SiteBuilder"/>, the coordinator's
/// <see cref="JobRunner"/>, the in-process transport with its bounded parallelism), measured for wall time, throughput
/// and memory.
/// </summary>
/// <remarks>
/// The model is logistic regression on <see cref="ScaleBenchSettings.Dimension"/> features. The data are synthetic
/// (one logistic ground truth, Gaussian features) in <see cref="ScaleBenchSettings.Shards"/> shards that the sites share
/// read-only, so the memory figures are the platform's: the sites' agents, guards and pipelines, the tasks (which all
/// reference the one global parameter vector), the updates in flight and the aggregate.
/// </remarks>
public static class ScaleBench
{
    /// <summary>Runs the benchmark.</summary>
    /// <param name="settings">The shape of the run.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The measured figures.</returns>
    /// <exception cref="ArgumentException">The settings are out of range.</exception>
    public static async Task<ScaleBenchResult> RunAsync(ScaleBenchSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        long setupStart = Stopwatch.GetTimestamp();
        FederatedDataset data = CreateData(settings);
        JobDefinition job = JobFor(settings, data);
        PolicyEvaluator policy = MeasurementPolicy.Accepting(job.Describe());
        double setup = Stopwatch.GetElapsedTime(setupStart).TotalSeconds;
        double retained = await MeasureIdleSitesAsync(job, data, policy, cancellationToken).ConfigureAwait(false);

        HeapWatch heap = new();
        long start = Stopwatch.GetTimestamp();
        SimulationResult result = await FederatedSimulation.RunAsync(job, data, heap, null, _ => policy, cancellationToken).ConfigureAwait(false);
        double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;

        IReadOnlyList<RoundReport> rounds = result.Federated.Rounds;
        long updates = rounds.Sum(r => (long)r.Contributors.Count);
        bool full = rounds.Count == settings.Rounds && rounds.All(r => r.Aggregated && r.Contributors.Count == settings.Sites);
        double accuracy = result.Final.Mean.Where(m => m.Kind == MetricKind.Accuracy).Select(m => m.Value).DefaultIfEmpty(double.NaN).First();
        using Process process = Process.GetCurrentProcess();
        return new ScaleBenchResult(settings, setup, wall, rounds.Count(r => r.Aggregated), updates, full, process.PeakWorkingSet64, heap.Peak, retained, accuracy);
    }

    /// <summary>
    /// Managed bytes the composed sites keep per site once each has trained one round and gone idle: all sites are
    /// composed, each handles one training task, then a full collection is compared with one taken before composition.
    /// </summary>
    /// <param name="job">The job.</param>
    /// <param name="data">The sites' data (already allocated, so not counted).</param>
    /// <param name="policy">Every site's policy.</param>
    /// <param name="cancellationToken">Cancels the measurement.</param>
    /// <returns>Bytes per site.</returns>
    internal static async Task<double> MeasureIdleSitesAsync(JobDefinition job, FederatedDataset data, PolicyEvaluator policy, CancellationToken cancellationToken)
    {
        ModelSpec spec = job.ModelFor(data.Sites[0].Train.FeatureCount);
        ParameterVector global = new(spec.CreateLayout());
        spec.CreateModel(1).Initialize(global.Values, new RandomSource(job.Seed).Derive("init"));
        long before = GC.GetTotalMemory(forceFullCollection: true);
        using SimulatedSites sites = SimulatedSites.Create(job, data, null, null, new VirtualClock(), _ => policy);
        foreach (SiteAgent agent in sites.Agents)
        {
            TrainTask task = new(agent.Site, new RoundNumber(1), global, job.Training) { Participants = sites.Agents.Length, JobSha256 = job.ContentSha256 };
            if (await agent.HandleAsync(task, cancellationToken).ConfigureAwait(false) is not TrainingCompleted)
            {
                throw new InvalidOperationException($"Site {agent.Site} did not train in the idle-memory measurement.");
            }
        }

        long after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(sites);
        return (double)(after - before) / sites.Agents.Length;
    }

    /// <summary>The benchmark's job: FedAvg of logistic regression, every site every round, one evaluation at the end.</summary>
    internal static JobDefinition JobFor(ScaleBenchSettings settings, FederatedDataset data) => new()
    {
        Name = $"scale-{settings.Sites}x{settings.Rounds}x{settings.Dimension}",
        Seed = settings.Seed,
        Data = new DataSourceOptions { Format = DataFormat.Csv, Path = "." },
        ModelKind = ModelKind.Logistic,
        Engine = new RoundEngineOptions { Rounds = settings.Rounds, EvaluateEvery = settings.Rounds },
        Training = new LocalTrainingOptions { BatchSize = settings.RowsPerSite, LocalSteps = settings.LocalSteps, Optimizer = new() { LearningRate = 0.1f } },
        Metrics = [MetricKind.Accuracy],
        Columns = data.Sites[0].Train.FeatureNames,
    };

    /// <summary>Synthetic shards from one logistic ground truth; site <c>i</c> holds shard <c>i mod Shards</c>.</summary>
    internal static FederatedDataset CreateData(ScaleBenchSettings settings)
    {
        RandomSource random = new RandomSource(settings.Seed).Derive("scale-data");
        int d = settings.Dimension;
        float[] truth = new float[d];
        for (int i = 0; i < d; i++)
        {
            truth[i] = (float)(random.NextGaussian() / Math.Sqrt(d));
        }

        string[] names = [.. Enumerable.Range(0, d).Select(i => $"x{i}")];
        int shards = Math.Min(settings.Shards, settings.Sites);
        SiteData[] parts = new SiteData[shards];
        for (int s = 0; s < shards; s++)
        {
            parts[s] = new SiteData($"shard{s}", Make(settings.RowsPerSite), Make(Math.Max(1, settings.RowsPerSite / 4)));
        }

        SiteData[] sites = [.. Enumerable.Range(0, settings.Sites).Select(i => parts[i % shards] with { Name = $"site{i:D5}" })];
        return new FederatedDataset("scale-synthetic", LearningTask.BinaryClassification, sites, parts[0]);

        Dataset Make(int rows)
        {
            float[] x = new float[rows * d];
            float[] y = new float[rows];
            for (int r = 0; r < rows; r++)
            {
                double z = 0;
                for (int f = 0; f < d; f++)
                {
                    float v = (float)random.NextGaussian();
                    x[(r * d) + f] = v;
                    z += v * truth[f];
                }

                y[r] = random.NextDouble() < 1 / (1 + Math.Exp(-4 * z)) ? 1f : 0f;
            }

            return new Dataset(names, x, y);
        }
    }

    /// <summary>Samples the managed heap after each round (synchronously, on the runner's thread).</summary>
    private sealed class HeapWatch : IProgress<RoundReport>
    {
        public long Peak { get; private set; }

        public void Report(RoundReport value) => Peak = Math.Max(Peak, GC.GetTotalMemory(forceFullCollection: false));
    }
}
