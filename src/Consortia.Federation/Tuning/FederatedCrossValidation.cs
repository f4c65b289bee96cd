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
/// trains on its other folds and evaluates on fold f, federatedly. The split can be repeated with other
/// seeds (<see cref="RepeatedFolds"/>) and the score averaged, which matters on sites of a few dozen rows.
/// Features keep the preprocessing of the loaded data (standardisation statistics from the whole training
/// part, which use no label of the held-out fold and no test row).
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

    /// <summary>
    /// Repeated k-fold splits: repeat r splits each site's training part with seed <c>seed + r</c> (repeat 0 is
    /// <see cref="Folds"/> with <paramref name="seed"/>), so averaging over repeats lowers the variance that one
    /// arbitrary partition of small sites adds to the score.
    /// </summary>
    /// <param name="data">The dataset (only training parts are used).</param>
    /// <param name="folds">k ≥ 2.</param>
    /// <param name="repeats">r ≥ 1.</param>
    /// <param name="seed">The seed of repeat 0.</param>
    /// <returns><c>repeats × folds</c> federated datasets, repeat-major, whose "test" parts are held-out folds of training rows.</returns>
    public static IReadOnlyList<FederatedDataset> RepeatedFolds(FederatedDataset data, int folds, int repeats, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        List<FederatedDataset> result = [];
        for (int r = 0; r < repeats; r++)
        {
            result.AddRange(Folds(data, folds, unchecked(seed + (ulong)r)));
        }

        return result;
    }

    /// <summary>Scores each candidate by repeated federated cross-validation and returns them best first.</summary>
    /// <param name="candidates">The candidates; their datasets must hold the same rows (they may differ in preprocessing).</param>
    /// <param name="folds">k ≥ 2.</param>
    /// <param name="repeats">How many fold splits (r ≥ 1); repeat r splits with, and trains with, seed <c>seed + r</c>.</param>
    /// <param name="seed">The seed of repeat 0.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The candidates ranked by their mean score (best first; ties keep the candidates' order).</returns>
    /// <exception cref="ArgumentException">No candidate, or the candidates' datasets differ in rows or labels.</exception>
    public static async Task<IReadOnlyList<CrossValidationResult>> RankAsync(
        IReadOnlyList<TuningCandidate> candidates,
        int folds,
        int repeats,
        ulong seed,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidates);
        if (candidates.Count == 0)
        {
            throw new ArgumentException("Expected at least one candidate.", nameof(candidates));
        }

        FederatedDataset reference = candidates[0].Data;
        foreach (TuningCandidate candidate in candidates)
        {
            if (!SameRows(reference, candidate.Data))
            {
                throw new ArgumentException("The candidates' datasets differ in sites, row counts or labels; cross-validation needs one row layout.", nameof(candidates));
            }
        }

        // One split per distinct dataset instance; the split depends only on row counts, labels and seed, so all
        // datasets are partitioned into the same rows.
        Dictionary<FederatedDataset, IReadOnlyList<FederatedDataset>> splits = new(ReferenceEqualityComparer.Instance);
        foreach (TuningCandidate candidate in candidates)
        {
            if (!splits.ContainsKey(candidate.Data))
            {
                splits[candidate.Data] = RepeatedFolds(candidate.Data, folds, repeats, seed);
            }
        }

        MetricKind metric = reference.Task == LearningTask.Survival ? MetricKind.ConcordanceIndex : MetricKind.Accuracy;
        CrossValidationResult[] results = new CrossValidationResult[candidates.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, candidates.Count),
            new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                JobDefinition job = candidates[i].Job with { Metrics = [metric], Baselines = null, Engine = candidates[i].Job.Engine with { EvaluateEvery = candidates[i].Job.Engine.Rounds } };
                IReadOnlyList<FederatedDataset> split = splits[candidates[i].Data];
                double[] scores = new double[split.Count];
                for (int f = 0; f < split.Count; f++)
                {
                    ulong runSeed = unchecked(seed + (ulong)(f / folds));
                    SimulationResult run = await MeasurementPolicy.RunAsync(job with { Seed = runSeed }, split[f], ct).ConfigureAwait(false);
                    scores[f] = run.Final.Sites.Select(s => s.Metrics[0].Value).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
                }

                results[i] = new CrossValidationResult(candidates[i].Settings, scores.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(), scores);
            }).ConfigureAwait(false);
        IEnumerable<CrossValidationResult> finite = results.Where(r => double.IsFinite(r.Score));
        IOrderedEnumerable<CrossValidationResult> ranked = metric.HigherIsBetter() ? finite.OrderByDescending(r => r.Score) : finite.OrderBy(r => r.Score);
        return [.. ranked, .. results.Where(r => !double.IsFinite(r.Score))];
    }

    private static bool SameRows(FederatedDataset a, FederatedDataset b)
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
            if (a.Sites[s].Name != b.Sites[s].Name || !a.Sites[s].Train.Labels.SequenceEqual(b.Sites[s].Train.Labels))
            {
                return false;
            }
        }

        return true;
    }
}
