using System.Globalization;
using Consortia.Data;
using Consortia.Data.Exploration;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Simulation;
using Consortia.Governance.Policies;

namespace Consortia.Federation.Exploration;

/// <summary>
/// Federated statistics before any training (<c>consortia explore</c>): each site summarises its own data on the
/// original scale as a count vector, suppresses every count below its policy's minimum cell count, and releases the
/// vector; the combined figures come from the sum of the vectors (a secure-aggregation round when the job uses secure
/// aggregation), each site's own figures only where its policy allows plain outputs.
/// </summary>
public static class FederatedExploration
{
    /// <summary>Explores a job's data as its simulated sites would release it (paths relative to the job file, policies from its <c>policies:</c> section).</summary>
    /// <param name="job">The job.</param>
    /// <param name="options">Binning and warning thresholds.</param>
    /// <returns>The released figures and the warnings.</returns>
    /// <exception cref="DataConfigurationException">The data source or its contract is wrong.</exception>
    /// <exception cref="DataValidationException">A data file breaks its contract (file, line, column named).</exception>
    /// <exception cref="ExplorationException">The sites cannot be explored as asked (named).</exception>
    public static ExplorationReport Explore(JobDefinition job, ExplorationOptions options)
    {
        ArgumentNullException.ThrowIfNull(job);
        string baseDirectory = job.SourcePath is { } path ? Path.GetDirectoryName(path) ?? "." : Directory.GetCurrentDirectory();
        return Explore(job, RawSiteLoader.Load(job.Data, baseDirectory), site => SimulatedSites.PolicyFor(job, site), options);
    }

    /// <summary>Explores the given sites' tables under the given policies.</summary>
    /// <param name="job">The job (name, seed, secure-aggregation settings, standardisation).</param>
    /// <param name="tables">Each site's data on its original scale.</param>
    /// <param name="policies">Each site's policy (<see langword="null"/>: the site refuses, as a node without a policy does).</param>
    /// <param name="options">Binning and warning thresholds.</param>
    /// <param name="observe">Called with each contributing site's vector exactly as it leaves the site (tests check suppression on it).</param>
    /// <returns>The released figures and the warnings.</returns>
    /// <exception cref="ExplorationException">The sites' features differ, or secure aggregation has fewer than three contributing sites.</exception>
    public static ExplorationReport Explore(
        JobDefinition job, IReadOnlyList<RawSiteTable> tables, Func<string, PolicyEvaluator?> policies, ExplorationOptions options, Action<string, IReadOnlyList<long>>? observe = null)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        CheckSameFeatures(tables);
        SecureAggregationSettings? secure = job.Engine.SecureAggregation;
        SiteParticipation[] sites = [.. tables.Select(t => Participation(t.Site, policies(t.Site), secure is not null))];
        int[] contributing = [.. Enumerable.Range(0, tables.Count).Where(i => sites[i].Contributed)];
        if (contributing.Length == 0)
        {
            throw new ExplorationException($"no site releases aggregate figures: {string.Join("; ", sites.Select(s => $"{s.Site}: {s.Reason}"))}.");
        }

        if (secure is not null && contributing.Length < 3)
        {
            throw new ExplorationException(string.Create(CultureInfo.InvariantCulture, $"the job uses secure aggregation, which needs at least three contributing sites; {contributing.Length} contribute ({string.Join(", ", contributing.Select(i => sites[i].Site))})."));
        }

        FeatureGrid[] grids = [.. Enumerable.Range(0, tables[0].Features.Count).Select(f => Grid([.. contributing.Select(i => tables[i].Features[f])], options.Bins))];
        var vectors = new long[tables.Count][];
        foreach (int i in contributing)
        {
            // Computed and suppressed at the site: nothing below the minimum cell count is in what leaves it.
            vectors[i] = SiteSummary.Compute(tables[i], grids, sites[i].MinCellCount!.Value); // Contributing sites have a minimum cell count.
            observe?.Invoke(tables[i].Site, vectors[i]);
        }

        long[] combined = secure is not null
            ? SecureCountSum.Sum(secure, job.Name + "/explore", [.. contributing.Select(i => tables[i].Site)], [.. contributing.Select(i => (IReadOnlyList<long>)vectors[i])], job.Seed)
            : [.. Enumerable.Range(0, SiteSummary.Length(grids)).Select(e => contributing.Sum(i => vectors[i][e]))];

        FeatureExploration[] features = [.. grids.Select((grid, f) => new FeatureExploration(
            tables[0].Features[f].Name,
            grid,
            SiteSummary.Feature(combined, grids, f),
            [.. sites.Select((s, i) => s.Released ? SiteSummary.Feature(vectors[i], grids, f) : null)]))];
        LabelFigures?[] siteLabels = [.. sites.Select((s, i) => s.Released ? SiteSummary.Labels(vectors[i]) : null)];
        bool perSite = job.Data.Standardization == Standardization.PerSite;
        var report = new ExplorationReport(job.Name, secure is not null, perSite, sites, features, SiteSummary.Labels(combined), siteLabels, []);
        return report with { Warnings = ExplorationWarnings.Find(report, sites.Select((s, i) => s.Released ? vectors[i] : null).ToArray(), combined, grids, options) };
    }

    /// <summary>Whether a site contributes (its policy allows aggregate metrics, and plain outputs unless secure aggregation hides them) and releases its own figures (plain outputs allowed).</summary>
    private static SiteParticipation Participation(string site, PolicyEvaluator? evaluator, bool secure)
    {
        if (evaluator?.Policy is not { } policy)
        {
            return new SiteParticipation(site, false, false, null, "the site has no policy, so it releases nothing");
        }

        if (!policy.Outputs.AggregateMetrics || policy.Outputs.MinCellCount is not { } minimum)
        {
            return new SiteParticipation(site, false, false, null, "the site policy does not allow aggregate metrics to leave (outputs.aggregate_metrics)");
        }

        if (!policy.Outputs.PlainUpdates)
        {
            return secure
                ? new SiteParticipation(site, true, false, minimum, "the site policy allows only masked outputs (outputs.plain_updates: false): its figures are in the secure sum only")
                : new SiteParticipation(site, false, false, minimum, "the site policy allows only masked outputs (outputs.plain_updates: false) and the job does not use secure aggregation");
        }

        return new SiteParticipation(site, true, true, minimum, null);
    }

    private static void CheckSameFeatures(IReadOnlyList<RawSiteTable> tables)
    {
        if (tables.Count == 0)
        {
            throw new ExplorationException("the data has no sites.");
        }

        string[] names = [.. tables[0].Features.Select(f => f.Name)];
        foreach (RawSiteTable table in tables.Skip(1))
        {
            if (!table.Features.Select(f => f.Name).SequenceEqual(names, StringComparer.Ordinal))
            {
                throw new ExplorationException($"site '{table.Site}' has features ({string.Join(", ", table.Features.Select(f => f.Name))}); site '{tables[0].Site}' has ({string.Join(", ", names)}); every site needs the same features.");
            }
        }
    }

    /// <summary>
    /// The shared grid: the contract's bounds where it declares them; otherwise the range across the contributing sites,
    /// rounded outward to a tenth of its order of magnitude (each site discloses only its rounded range).
    /// </summary>
    private static FeatureGrid Grid(RawFeature[] columns, int bins)
    {
        double[] values = [.. columns.SelectMany(c => c.Values).Where(v => !double.IsNaN(v))];
        double min = values.Length == 0 ? 0 : values.Min(), max = values.Length == 0 ? 1 : values.Max();
        double step = max > min ? Math.Pow(10, Math.Floor(Math.Log10(max - min)) - 1) : 1;
        double lower = columns[0].Lower ?? Math.Floor(min / step) * step;
        double upper = columns[0].Upper ?? Math.Ceiling(max / step) * step;
        return new FeatureGrid(lower, upper > lower ? upper : lower + step, bins);
    }
}
