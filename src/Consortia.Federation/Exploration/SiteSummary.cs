using System.Diagnostics;
using Consortia.Data.Exploration;

namespace Consortia.Federation.Exploration;

/// <summary>
/// The count vector a site releases about its data, and how figures are read back from it. Everything in it is a
/// non-negative integer so that sites' vectors add up element by element (in the clear or through secure
/// aggregation) to the vector of the pooled data.
/// </summary>
/// <remarks>
/// Per feature: count, missing, zeros, suppressed cells, Σq and Σq² as four 16-bit limbs each (q is the value's offset
/// from the grid's lower edge in units of range / 2^20, so sums stay exact integers), then the histogram. Then the
/// label counts. Splitting the sums into limbs keeps every element of a site's vector below 2^16, so the sum over up to
/// 65 536 sites still fits the 32-bit words secure aggregation adds.
/// </remarks>
internal static class SiteSummary
{
    public const int Resolution = 1 << 20;
    private const int Header = 12, Limbs = 4, LabelSlots = 3;
    private static readonly double[] s_probabilities = [0.05, 0.25, 0.5, 0.75, 0.95];

    public static int Length(IReadOnlyList<FeatureGrid> grids) => grids.Sum(g => Header + g.Bins) + LabelSlots;

    /// <summary>Computes a site's vector, with every count below <paramref name="minCellCount"/> suppressed here, before it leaves.</summary>
    public static long[] Compute(RawSiteTable table, IReadOnlyList<FeatureGrid> grids, int minCellCount)
    {
        Debug.Assert(table.Features.Count == grids.Count, "One grid per feature.");
        long[] vector = new long[Length(grids)];
        int offset = 0;
        for (int f = 0; f < grids.Count; f++)
        {
            FeatureGrid grid = grids[f];
            double range = Range(grid);
            long count = 0, missing = 0, zeros = 0, suppressed = 0;
            UInt128 sum = 0, squares = 0;
            long[] bins = new long[grid.Bins];
            foreach (double value in table.Features[f].Values)
            {
                if (double.IsNaN(value))
                {
                    missing++;
                    continue;
                }

                count++;
                zeros += value == 0 ? 1 : 0;
                ulong q = (ulong)Math.Round(Math.Clamp((value - grid.Lower) / range, 0, 1) * Resolution);
                sum += q;
                squares += (UInt128)q * q;
                bins[grid.BinOf(value)]++;
            }

            // A feature seen in fewer rows than the minimum cell count releases no sums at all (they would describe those few rows).
            if (count is > 0 && count < minCellCount)
            {
                sum = squares = 0;
            }

            vector[offset] = Suppress(count, minCellCount, ref suppressed);
            vector[offset + 1] = Suppress(missing, minCellCount, ref suppressed);
            vector[offset + 2] = Suppress(zeros, minCellCount, ref suppressed);
            WriteLimbs(vector, offset + 4, sum);
            WriteLimbs(vector, offset + 4 + Limbs, squares);
            for (int b = 0; b < bins.Length; b++)
            {
                vector[offset + Header + b] = Suppress(bins[b], minCellCount, ref suppressed);
            }

            vector[offset + 3] = suppressed;
            offset += Header + grid.Bins;
        }

        long positive = table.Labels.Count(l => l == 1), negative = table.Labels.Count(l => l == 0), unlabelled = table.Labels.Length - positive - negative, ignored = 0;
        vector[offset] = Suppress(positive, minCellCount, ref ignored);
        vector[offset + 1] = Suppress(negative, minCellCount, ref ignored);
        vector[offset + 2] = Suppress(unlabelled, minCellCount, ref ignored);
        return vector;
    }

    /// <summary>Reads one feature's figures from a (site's or summed) vector.</summary>
    public static FeatureFigures Feature(IReadOnlyList<long> vector, IReadOnlyList<FeatureGrid> grids, int feature)
    {
        int offset = grids.Take(feature).Sum(g => Header + g.Bins);
        FeatureGrid grid = grids[feature];
        long count = vector[offset];
        double range = Range(grid), unit = range / Resolution;
        double sum = (double)ReadLimbs(vector, offset + 4), squares = (double)ReadLimbs(vector, offset + 4 + Limbs);
        // A site's sums are withheld exactly when its count is, so the sums always describe the released count.
        double? mean = count > 0 ? grid.Lower + (sum / count * unit) : null;
        double? deviation = count > 1 && mean is not null ? Math.Sqrt(Math.Max(0, (squares - (sum * sum / count)) / (count - 1))) * unit : null;
        long[] histogram = [.. Enumerable.Range(0, grid.Bins).Select(b => vector[offset + Header + b])];
        return new FeatureFigures(count, vector[offset + 1], vector[offset + 2], mean, deviation, histogram, Quantiles(histogram, grid), vector[offset + 3]);
    }

    /// <summary>Reads the label balance from a vector.</summary>
    public static LabelFigures Labels(IReadOnlyList<long> vector) =>
        new(vector[^3], vector[^2], vector[^1]);

    /// <summary>Quantiles from a histogram: the bin where the cumulative count reaches p·total, interpolated linearly inside it.</summary>
    public static Quantile[] Quantiles(IReadOnlyList<long> histogram, FeatureGrid grid)
    {
        long total = histogram.Sum();
        if (total == 0)
        {
            return [];
        }

        var quantiles = new Quantile[s_probabilities.Length];
        for (int i = 0; i < s_probabilities.Length; i++)
        {
            double target = s_probabilities[i] * total, cumulative = 0;
            int bin = 0;
            while (bin < histogram.Count - 1 && cumulative + histogram[bin] < target)
            {
                cumulative += histogram[bin++];
            }

            double within = histogram[bin] == 0 ? 0 : (target - cumulative) / histogram[bin];
            quantiles[i] = new Quantile(s_probabilities[i], grid.Edge(bin) + (Math.Clamp(within, 0, 1) * grid.Width));
        }

        return quantiles;
    }

    private static double Range(FeatureGrid grid) => grid.Upper > grid.Lower ? grid.Upper - grid.Lower : 1;

    private static long Suppress(long count, int minimum, ref long suppressed)
    {
        if (count > 0 && count < minimum)
        {
            suppressed++;
            return 0;
        }

        return count;
    }

    private static void WriteLimbs(long[] vector, int offset, UInt128 value)
    {
        for (int i = 0; i < Limbs; i++)
        {
            vector[offset + i] = (long)(ulong)(value & 0xFFFF);
            value >>= 16;
        }

        Debug.Assert(value == 0, "Σq² stays below 2^64 for fewer than 2^24 rows.");
    }

    private static UInt128 ReadLimbs(IReadOnlyList<long> vector, int offset)
    {
        UInt128 value = 0;
        for (int i = Limbs - 1; i >= 0; i--)
        {
            value = (value << 16) + (ulong)vector[offset + i];
        }

        return value;
    }
}
