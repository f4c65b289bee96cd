using System.Collections.Concurrent;
using System.Diagnostics;
using Consortia.Data;
using Consortia.Data.Flamby;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Learning.Metrics;

namespace Consortia.Federation.Benchmarking;

/// <summary>
/// Runs FLamby's benchmark protocol — pooled, every local baseline and every strategy, over several seeds —
/// and sets the results beside FLamby's published ones.
/// </summary>
public static class FlambyBenchmark
{
    /// <summary>Runs the benchmark.</summary>
    /// <param name="recipe">The dataset's FLamby recipe.</param>
    /// <param name="data">The dataset, loaded with FLamby's preprocessing.</param>
    /// <param name="published">FLamby's published results.</param>
    /// <param name="seeds">The seeds.</param>
    /// <param name="extraJobs">
    /// Additional rows (e.g. tuned job files) run with the same seeds, each on its own loading of the dataset (its
    /// job's preprocessing, e.g. <c>data.standardization</c>), which must hold the same train/test split.
    /// </param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The table.</returns>
    /// <exception cref="ArgumentException">An extra row's dataset has another split (sites, row counts or labels).</exception>
    public static async Task<FlambyBenchmarkResult> RunAsync(
        FlambyRecipe recipe,
        FederatedDataset data,
        FlambyPublishedResults published,
        IReadOnlyList<ulong> seeds,
        IReadOnlyList<(string Name, JobDefinition Job, FederatedDataset Data)> extraJobs,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(published);
        ArgumentNullException.ThrowIfNull(seeds);
        ArgumentNullException.ThrowIfNull(extraJobs);
        Stopwatch clock = Stopwatch.StartNew();
        MetricKind metric = data.Task == LearningTask.Survival ? MetricKind.ConcordanceIndex : MetricKind.Accuracy;
        int centers = data.Sites.Count;

        // (row, seed) → per-center metric.
        ConcurrentDictionary<(string Row, ulong Seed), double[]> results = new();
        List<(string Row, ulong Seed, Func<Task> Work)> work = [];
        LocalTrainingBaseline(recipe, data, seeds, metric, results, work);
        foreach (FlambyMethod method in recipe.Methods.Where(m => m.Strategy is not null))
        {
            foreach (ulong seed in seeds)
            {
                JobDefinition job = JobFor(recipe, method, seed, metric);
                work.Add((method.Name, seed, async () => results[(method.Name, seed)] = await RunFederatedAsync(job, data, cancellationToken).ConfigureAwait(false)));
            }
        }

        foreach ((string name, JobDefinition job, FederatedDataset jobData) in extraJobs)
        {
            if (!SameSplit(data, jobData))
            {
                throw new ArgumentException($"The dataset of row '{name}' has another train/test split than FLamby's.", nameof(extraJobs));
            }

            foreach (ulong seed in seeds)
            {
                JobDefinition seeded = job with { Seed = seed, Metrics = [metric], Engine = job.Engine with { EvaluateEvery = job.Engine.Rounds }, Baselines = null };
                work.Add((name, seed, async () => results[(name, seed)] = await RunFederatedAsync(seeded, jobData, cancellationToken).ConfigureAwait(false)));
            }
        }

        await Parallel.ForEachAsync(
            work,
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            async (item, _) => await item.Work().ConfigureAwait(false)).ConfigureAwait(false);
        OwnSiteLocal(recipe, seeds, centers, results);

        List<FlambyBenchmarkRow> rows = [];
        IEnumerable<(string Name, string? Flamby)> order = recipe.Methods.Select(m => (m.Name, m.FlambyName)).Concat(extraJobs.Select(e => (e.Name, (string?)null)));
        foreach ((string name, string? flamby) in order)
        {
            double[][] perSeed = [.. seeds.Select(s => results[(name, s)])];
            double[] centerMeans = [.. perSeed.Select(v => v.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average())];
            double mean = centerMeans.Average();
            double sd = centerMeans.Length > 1 ? Math.Sqrt(centerMeans.Sum(x => (x - mean) * (x - mean)) / (centerMeans.Length - 1)) : 0;
            double[] perCenter = [.. Enumerable.Range(0, centers).Select(c => perSeed.Average(v => v[c]))];
            rows.Add(new FlambyBenchmarkRow(name, mean, sd, perCenter, published.MeanOverCenters(flamby), published.PerCenter(flamby)));
        }

        return new FlambyBenchmarkResult(recipe.Dataset, metric.ReportName(), [.. data.Sites.Select(s => s.Name)], seeds, rows, MajorityBaseline(data, metric), clock.Elapsed);
    }

    /// <summary>Schedules the pooled and local baselines: one run per seed trains all of them.</summary>
    private static void LocalTrainingBaseline(
        FlambyRecipe recipe, FederatedDataset data, IReadOnlyList<ulong> seeds, MetricKind metric,
        ConcurrentDictionary<(string, ulong), double[]> results, List<(string, ulong, Func<Task>)> work)
    {
        FlambyMethod? pooled = recipe.Methods.FirstOrDefault(m => m.Pooled);
        if (pooled is null)
        {
            return;
        }

        foreach (ulong seed in seeds)
        {
            JobDefinition job = JobFor(recipe, pooled, seed, metric);
            work.Add(("baselines", seed, () =>
            {
                IReadOnlyList<BaselineResult> baselines = FederatedSimulation.RunBaselines(job, data, new BaselineOptions(Local: true, Pooled: true, pooled.Training));
                foreach (BaselineResult baseline in baselines)
                {
                    string row = baseline.Name == "pooled"
                        ? pooled.Name
                        : $"Local {data.Sites.ToList().FindIndex(s => $"local:{s.Name}" == baseline.Name)}";
                    results[(row, seed)] = [.. baseline.Evaluation.Sites.Select(s => s.Metrics[0].Value)];
                }

                return Task.CompletedTask;
            }));
        }
    }

    /// <summary>Local-only training read at each center's own model: center c takes the value of the model trained on c alone.</summary>
    private static void OwnSiteLocal(FlambyRecipe recipe, IReadOnlyList<ulong> seeds, int centers, ConcurrentDictionary<(string, ulong), double[]> results)
    {
        foreach (FlambyMethod method in recipe.Methods.Where(m => m.OwnSiteLocal))
        {
            foreach (ulong seed in seeds)
            {
                results[(method.Name, seed)] = [.. Enumerable.Range(0, centers).Select(c => results.TryGetValue(($"Local {c}", seed), out double[]? local) ? local[c] : double.NaN)];
            }
        }
    }

    private static JobDefinition JobFor(FlambyRecipe recipe, FlambyMethod method, ulong seed, MetricKind metric) => new()
    {
        Name = $"flamby-{recipe.Dataset}-{method.Name}",
        Seed = seed,
        Data = new DataSourceOptions { Format = recipe.Format, Path = recipe.DataFolder },
        ModelKind = recipe.Model,
        Engine = new RoundEngineOptions { Rounds = Math.Max(1, method.Rounds), EvaluateEvery = Math.Max(1, method.Rounds) },
        Strategy = method.Strategy ?? new StrategySettings(),
        Training = method.Training,
        Metrics = [metric],
        Personalisation = method.Personalisation,
    };

    private static async Task<double[]> RunFederatedAsync(JobDefinition job, FederatedDataset data, CancellationToken cancellationToken)
    {
        SimulationResult result = await MeasurementPolicy.RunAsync(job, data, cancellationToken).ConfigureAwait(false);
        // A personalised row is read at each site's personal model (its metrics reach the coordinator; the model does not).
        return job.Personalisation is null
            ? [.. result.Final.Sites.Select(s => s.Metrics[0].Value)]
            : [.. result.Final.Sites.Select(s => s.Personal is { Count: > 0 } personal ? personal[0].Value : double.NaN)];
    }

    private static bool SameSplit(FederatedDataset a, FederatedDataset b)
    {
        if (ReferenceEquals(a, b))
        {
            return true;
        }

        if (a.Task != b.Task || a.Sites.Count != b.Sites.Count)
        {
            return false;
        }

        for (int s = 0; s < a.Sites.Count; s++)
        {
            SiteData x = a.Sites[s], y = b.Sites[s];
            if (x.Name != y.Name || !x.Train.Labels.SequenceEqual(y.Train.Labels) || !x.Test.Labels.SequenceEqual(y.Test.Labels)
                || !x.Test.Times.SequenceEqual(y.Test.Times))
            {
                return false;
            }
        }

        return true;
    }

    private static double[] MajorityBaseline(FederatedDataset data, MetricKind metric)
    {
        if (metric != MetricKind.Accuracy)
        {
            return [.. data.Sites.Select(_ => 0.5)]; // a constant risk score ties every pair
        }

        return [.. data.Sites.Select(site =>
        {
            double positives = 0;
            foreach (float y in site.Train.Labels)
            {
                positives += y;
            }

            float majority = positives * 2 >= site.Train.Count ? 1f : 0f;
            int correct = 0;
            foreach (float y in site.Test.Labels)
            {
                correct += y == majority ? 1 : 0;
            }

            return (double)correct / site.Test.Count;
        })];
    }
}
