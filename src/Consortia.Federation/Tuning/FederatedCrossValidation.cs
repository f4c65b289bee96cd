using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Learning;
using Consortia.Learning.Metrics;

namespace Consortia.Federation.Tuning;

/// <summary>
/// Chooses hyper-parameters by k-fold cross-validation inside each site's <em>training</em> part: the test
/// parts are never read, so a configuration chosen here can be reported on them honestly.
/// </summary>
/// <remarks>
/// Every site splits its own training rows into k folds (stratified by label, seeded); for fold f each site
/// trains on its other folds and evaluates on fold f, federatedly. Features keep the preprocessing of the
/// loaded data (for the FLamby sets: per-site standardisation from the whole training part, which uses no
/// label of the held-out fold).
/// </remarks>
public static class FederatedCrossValidation
{
    /// <summary>Splits each site's training part into <paramref name="folds"/> train/validation pairs.</summary>
    /// <param name="data">The dataset (only training parts are used).</param>
    /// <param name="folds">k ≥ 2.</param>
    /// <param name="seed">The split seed.</param>
    /// <returns>One federated dataset per fold, whose "test" parts are the held-out folds.</returns>
    public static IReadOnlyList<FederatedDataset> Folds(FederatedDataset data, int folds, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(folds, 2);
        RandomSource random = new(seed);
        // Per site: each row's fold, stratified by label so that rare classes spread over folds.
        int[][] assignment = new int[data.Sites.Count][];
        for (int s = 0; s < data.Sites.Count; s++)
        {
            Dataset train = data.Sites[s].Train;
            int[] order = [.. Enumerable.Range(0, train.Count)];
            random.Derive((ulong)s).Shuffle(order.AsSpan());
            int[] byLabel = [.. order.OrderBy(i => train.Labels[i])]; // stable: keeps the shuffle within a label
            assignment[s] = new int[train.Count];
            for (int k = 0; k < byLabel.Length; k++)
            {
                assignment[s][byLabel[k]] = k % folds;
            }
        }

        List<FederatedDataset> result = [];
        for (int f = 0; f < folds; f++)
        {
            List<SiteData> sites = [];
            for (int s = 0; s < data.Sites.Count; s++)
            {
                Dataset train = data.Sites[s].Train;
                int[] inner = [.. Enumerable.Range(0, train.Count).Where(i => assignment[s][i] != f)];
                int[] held = [.. Enumerable.Range(0, train.Count).Where(i => assignment[s][i] == f)];
                sites.Add(new SiteData(data.Sites[s].Name, train.Select(inner), train.Select(held)));
            }

            SiteData pooled = new("pooled", Dataset.Concat([.. sites.Select(x => x.Train)]), Dataset.Concat([.. sites.Select(x => x.Test)]));
            result.Add(new FederatedDataset($"{data.Name}-fold{f}", data.Task, sites, pooled));
        }

        return result;
    }

    /// <summary>Scores each candidate job by cross-validation and returns them best first.</summary>
    /// <param name="data">The dataset.</param>
    /// <param name="candidates">The candidate jobs with the overrides that define them.</param>
    /// <param name="folds">k.</param>
    /// <param name="seed">The split and training seed.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The candidates ranked by their metric (best first).</returns>
    public static async Task<IReadOnlyList<CrossValidationResult>> RankAsync(
        FederatedDataset data,
        IReadOnlyList<(IReadOnlyList<KeyValuePair<string, string>> Settings, JobDefinition Job)> candidates,
        int folds,
        ulong seed,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        IReadOnlyList<FederatedDataset> splits = Folds(data, folds, seed);
        MetricKind metric = data.Task == LearningTask.Survival ? MetricKind.ConcordanceIndex : MetricKind.Accuracy;
        CrossValidationResult[] results = new CrossValidationResult[candidates.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, candidates.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                JobDefinition job = candidates[i].Job with { Seed = seed, Metrics = [metric], Baselines = null, Engine = candidates[i].Job.Engine with { EvaluateEvery = candidates[i].Job.Engine.Rounds } };
                double[] scores = new double[splits.Count];
                for (int f = 0; f < splits.Count; f++)
                {
                    SimulationResult run = await FederatedSimulation.RunAsync(job, splits[f], null, null, ct).ConfigureAwait(false);
                    scores[f] = run.Final.Mean[0].Value;
                }

                results[i] = new CrossValidationResult(candidates[i].Settings, scores.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(), scores);
            }).ConfigureAwait(false);
        return [.. metric.HigherIsBetter() ? results.OrderByDescending(r => r.Score) : results.OrderBy(r => r.Score)];
    }
}
