using System.Globalization;

namespace Consortia.Federation.Exploration;

/// <summary>Finds the warnings a data scientist would want from the released figures (sites whose own figures were released only).</summary>
internal static class ExplorationWarnings
{
    private static readonly CultureInfo s_c = CultureInfo.InvariantCulture;

    public static ExplorationWarning[] Find(ExplorationReport report, long[]?[] siteVectors, long[] combined, IReadOnlyList<FeatureGrid> grids, ExplorationOptions options)
    {
        var warnings = new List<ExplorationWarning>();
        for (int s = 0; s < report.Sites.Count; s++)
        {
            if (siteVectors[s] is not { } vector)
            {
                continue;
            }

            string site = report.Sites[s].Site;
            // "The rest" is the combined sum minus this site: the other sites' data pooled.
            long[] rest = [.. combined.Select((v, i) => Math.Max(0, v - vector[i]))];
            for (int f = 0; f < grids.Count; f++)
            {
                string feature = report.Features[f].Name;
                FeatureFigures mine = report.Features[f].Sites[s]!; // Released sites have figures.
                FeatureFigures others = SiteSummary.Feature(rest, grids, f);
                Compare(warnings, site, feature, mine, others, report.PerSiteStandardization, options);
                CodedMissing(warnings, site, feature, mine, grids[f], options);
            }

            if (report.SiteLabels[s] is { MinorityShare: { } share } labels && share < options.MinorityShare)
            {
                warnings.Add(new(ExplorationWarningKind.NearlyConstantLabel, site, null, "minority share", share, options.MinorityShare, string.Create(s_c,
                    $"{site}: the label is nearly constant ({labels.Positive} positive, {labels.Negative} negative; the rarer class is {share:P1} of labelled rows, below {options.MinorityShare:P0}).")));
            }
        }

        return [.. warnings];
    }

    private static void Compare(List<ExplorationWarning> warnings, string site, string feature, FeatureFigures mine, FeatureFigures others, bool perSite, ExplorationOptions options)
    {
        long n = mine.Histogram.Sum(), m = others.Histogram.Sum();
        if (n == 0 || m == 0)
        {
            return;
        }

        double ks = 0, overlap = 0, a = 0, b = 0;
        for (int i = 0; i < mine.Histogram.Count; i++)
        {
            a += mine.Histogram[i] / (double)n;
            b += others.Histogram[i] / (double)m;
            ks = Math.Max(ks, Math.Abs(a - b));
            overlap += Math.Min(mine.Histogram[i] / (double)n, others.Histogram[i] / (double)m);
        }

        double? smd = mine is { Mean: { } x, StandardDeviation: { } sx } && others is { Mean: { } y, StandardDeviation: { } sy } && (sx + sy) > 0
            ? Math.Abs(x - y) / Math.Sqrt(((sx * sx) + (sy * sy)) / 2)
            : null;
        if (ks >= options.ShiftDistance || smd >= options.ShiftMeanDifference)
        {
            bool byKs = ks >= options.ShiftDistance;
            warnings.Add(new(ExplorationWarningKind.DistributionShift, site, feature, byKs ? "KS distance" : "standardised mean difference",
                byKs ? ks : smd!.Value, byKs ? options.ShiftDistance : options.ShiftMeanDifference, string.Create(s_c, // smd is set when ks did not cross.
                $"{site}, {feature}: the distribution differs sharply from the other sites' (KS distance {ks:F2}, standardised mean difference {(smd is { } d ? d.ToString("F2", s_c) : "n/a")}; mean {mine.Mean:G4} against {others.Mean:G4}).")));
        }

        if (overlap < options.MinimumOverlap)
        {
            string consequence = perSite
                ? "the job standardises per site, which would map both to the same scale and erase the difference"
                : "per-site standardisation would map both to the same scale and erase the difference";
            warnings.Add(new(ExplorationWarningKind.NoOverlap, site, feature, "histogram overlap", overlap, options.MinimumOverlap, string.Create(s_c,
                $"{site}, {feature}: its values barely overlap the other sites' (histogram overlap {overlap:F2}, below {options.MinimumOverlap:F2}); {consequence}.")));
        }
    }

    /// <summary>A spike at 0 whose non-zero values lie far from 0 (several standard deviations above it).</summary>
    private static void CodedMissing(List<ExplorationWarning> warnings, string site, string feature, FeatureFigures mine, FeatureGrid grid, ExplorationOptions options)
    {
        if (mine is not { Count: > 2, Zeros: > 0, Mean: { } mean, StandardDeviation: { } deviation } || grid.Lower > 0)
        {
            return;
        }

        long n = mine.Count, z = mine.Zeros, rest = n - z;
        double share = z / (double)n;
        if (share < options.ZeroSpikeShare || rest < 2)
        {
            return;
        }

        // Remove the zeros from the sums: Σv = n·mean, Σv² = (n−1)·sd² + n·mean²; zeros add nothing to either.
        double sum = n * mean, squares = ((n - 1) * deviation * deviation) + (n * mean * mean);
        double restMean = sum / rest;
        double restDeviation = Math.Sqrt(Math.Max(0, (squares - (rest * restMean * restMean)) / (rest - 1)));
        if (restDeviation <= 0 || restMean <= 0)
        {
            return;
        }

        double distance = restMean / restDeviation;
        if (distance >= options.ZeroDistance)
        {
            warnings.Add(new(ExplorationWarningKind.CodedMissing, site, feature, "share of exact zeros", share, options.ZeroSpikeShare, string.Create(s_c,
                $"{site}, {feature}: {z} values ({share:P1}) are exactly 0 while the others average {restMean:G4} (0 lies {distance:F1} standard deviations below them): probably missing values coded as 0.")));
        }
    }
}
