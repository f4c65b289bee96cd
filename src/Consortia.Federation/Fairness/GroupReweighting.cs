using Consortia.Data;
using Consortia.Data.Contracts;
using Consortia.Learning;

namespace Consortia.Federation.Fairness;

/// <summary>
/// Reweighing (Kamiran &amp; Calders, "Data preprocessing techniques for classification without discrimination", KAIS
/// 2012) done federatedly: each site counts its training records per (group, label), the counts are summed across sites
/// (through secure aggregation when the job uses it), and each site then resamples its own records so that every
/// (group, label) cell has n<sub>g</sub>·n<sub>y</sub>/n<sub>gy</sub>·(site share) records — the weight
/// w(g, y) = P(g)·P(y) / P(g, y) applied by the paper's "uniform sampling" (whole copies plus a seeded sample without
/// replacement), because the local trainer samples records uniformly and takes no per-record weights.
/// </summary>
public static class GroupReweighting
{
    /// <summary>One site's (group, label) counts of its training records: index 2·g + y.</summary>
    /// <param name="attribute">The attribute reweighted.</param>
    /// <param name="site">The site.</param>
    /// <returns>The counts (what leaves the site).</returns>
    public static long[] CellCounts(SensitiveVariable attribute, SiteData site)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        ArgumentNullException.ThrowIfNull(site);
        int[] groups = attribute.GroupsOf(site, site.Train);
        long[] counts = new long[2 * attribute.Groups.Length];
        ReadOnlySpan<float> labels = site.Train.Labels;
        for (int i = 0; i < groups.Length; i++)
        {
            counts[(2 * groups[i]) + (labels[i] > 0.5f ? 1 : 0)]++;
        }

        return counts;
    }

    /// <summary>The Kamiran–Calders weights w(g, y) = n<sub>g</sub>·n<sub>y</sub> / (n·n<sub>gy</sub>) from the summed counts; 0 for an empty cell.</summary>
    /// <param name="total">The counts summed over all sites (index 2·g + y).</param>
    /// <returns>The weights, same indexing.</returns>
    public static double[] Weights(ReadOnlySpan<long> total)
    {
        double n = 0, positives = 0;
        for (int c = 0; c < total.Length; c++)
        {
            n += total[c];
            positives += c % 2 == 1 ? total[c] : 0;
        }

        double[] weights = new double[total.Length];
        for (int c = 0; c < total.Length; c++)
        {
            double group = total[c - (c % 2)] + total[c - (c % 2) + 1];
            double label = c % 2 == 1 ? positives : n - positives;
            weights[c] = total[c] == 0 ? 0 : group * label / (n * total[c]);
        }

        return weights;
    }

    /// <summary>The site's training records resampled by the weights (site side).</summary>
    /// <param name="attribute">The attribute reweighted.</param>
    /// <param name="site">The site.</param>
    /// <param name="weights">The weights of <see cref="Weights"/>.</param>
    /// <param name="random">The site's seeded generator (which records are sampled).</param>
    /// <returns>The site with its resampled training part (its test part untouched).</returns>
    public static SiteData Resample(SensitiveVariable attribute, SiteData site, IReadOnlyList<double> weights, RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(attribute);
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(random);
        int[] groups = attribute.GroupsOf(site, site.Train);
        ReadOnlySpan<float> labels = site.Train.Labels;
        List<int> rows = [];
        for (int cell = 0; cell < weights.Count; cell++)
        {
            List<int> members = [];
            for (int i = 0; i < groups.Length; i++)
            {
                if ((2 * groups[i]) + (labels[i] > 0.5f ? 1 : 0) == cell)
                {
                    members.Add(i);
                }
            }

            int target = (int)Math.Round(members.Count * weights[cell], MidpointRounding.ToEven);
            for (int copy = 0; copy < target / Math.Max(1, members.Count); copy++)
            {
                rows.AddRange(members);
            }

            // The remainder: a partial Fisher–Yates draw without replacement.
            int remainder = members.Count == 0 ? 0 : target % members.Count;
            for (int k = 0; k < remainder; k++)
            {
                int pick = k + random.NextInt(members.Count - k);
                (members[k], members[pick]) = (members[pick], members[k]);
                rows.Add(members[k]);
            }
        }

        rows.Sort(); // keep the records' original order; the trainer shuffles with its own seed
        return site with { Train = site.Train.Select([.. rows]) };
    }
}
