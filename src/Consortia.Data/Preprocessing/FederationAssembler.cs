using System.Diagnostics;
using Consortia.Learning;

namespace Consortia.Data.Preprocessing;

/// <summary>
/// Builds a <see cref="FederatedDataset"/> from encoded sites: standardises each site as asked and
/// builds the pooled data (all training rows, all test rows, in site order) standardised with the
/// pooled training statistics unless standardisation is off.
/// </summary>
internal static class FederationAssembler
{
    public static FederatedDataset Assemble(string name, LearningTask task, IReadOnlyList<RawSite> sites, Standardization standardization)
    {
        Debug.Assert(sites.Count > 0, "At least one site.");
        var trains = new List<Part>(sites.Count);
        var tests = new List<Part>(sites.Count);
        foreach (RawSite site in sites)
        {
            trains.Add(Part.Of(site, site.Train));
            tests.Add(Part.Of(site, site.Test));
        }

        Part pooledTrain = Part.Concat(trains);
        Part pooledTest = Part.Concat(tests);
        StandardizationStatistics? pooledStatistics = standardization == Standardization.None
            ? null
            : StandardizationStatistics.Compute(pooledTrain.Features);

        var result = new List<SiteData>(sites.Count);
        for (int s = 0; s < sites.Count; s++)
        {
            StandardizationStatistics? statistics = standardization switch
            {
                Standardization.None => null,
                Standardization.PerSite => StandardizationStatistics.Compute(trains[s].Features),
                Standardization.Pooled => pooledStatistics,
                _ => throw new UnreachableException($"Unknown standardisation {standardization}."),
            };
            result.Add(new SiteData(sites[s].Name, trains[s].ToDataset(statistics), tests[s].ToDataset(statistics)) { Statistics = statistics });
        }

        var pooled = new SiteData("pooled", pooledTrain.ToDataset(pooledStatistics), pooledTest.ToDataset(pooledStatistics)) { Statistics = pooledStatistics };
        return new FederatedDataset(name, task, result, pooled);
    }

    private sealed record Part(FeatureMatrix Features, double[] Labels, double[]? Times)
    {
        public static Part Of(RawSite site, int[] rows) => new(
            site.Features.Select(rows),
            [.. rows.Select(r => site.Labels[r])],
            site.Times is { } times ? [.. rows.Select(r => times[r])] : null);

        public static Part Concat(IReadOnlyList<Part> parts) => new(
            FeatureMatrix.Concat([.. parts.Select(p => p.Features)]),
            [.. parts.SelectMany(p => p.Labels)],
            parts[0].Times is null ? null : [.. parts.SelectMany(p => p.Times!)]); // All parts come from one source, so all have times or none has.

        public Dataset ToDataset(StandardizationStatistics? statistics)
        {
            FeatureMatrix features = statistics is null ? Features : statistics.Apply(Features);
            return features.ToDataset(Labels, Times, Times is not null);
        }
    }
}
