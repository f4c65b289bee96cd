using System.Diagnostics;
using System.Globalization;
using Consortia.Learning;

namespace Consortia.Data.Partitioning;

/// <summary>Shared argument checks and helpers of the partitioners.</summary>
internal static class PartitionChecks
{
    public static void SiteCount(int siteCount, int rows, int minimumPerSite = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(siteCount, 1);
        if ((long)siteCount * Math.Max(minimumPerSite, 1) > rows)
        {
            throw new ArgumentOutOfRangeException(nameof(siteCount), siteCount, string.Create(CultureInfo.InvariantCulture, $"{rows} rows cannot give {siteCount} sites at least {Math.Max(minimumPerSite, 1)} rows each."));
        }
    }

    /// <summary>Cuts a shuffled order into consecutive chunks of the given sizes, each sorted.</summary>
    public static int[][] Cut(int[] order, int[] sizes)
    {
        Debug.Assert(sizes.Sum() == order.Length, "The sizes cover every row.");
        int[][] sites = new int[sizes.Length][];
        int offset = 0;
        for (int s = 0; s < sizes.Length; s++)
        {
            sites[s] = order[offset..(offset + sizes[s])];
            Array.Sort(sites[s]);
            offset += sizes[s];
        }

        return sites;
    }

    /// <summary>Draws proportions from a symmetric Dirichlet(α) distribution over <paramref name="count"/> parts.</summary>
    public static double[] Dirichlet(RandomSource random, double alpha, int count)
    {
        double[] p = new double[count];
        double sum = 0;
        for (int i = 0; i < count; i++)
        {
            p[i] = random.NextGamma(alpha);
            sum += p[i];
        }

        if (!(sum > 0) || !double.IsFinite(sum))
        {
            // With a tiny α every gamma draw can underflow to 0: the limit is all mass on one part.
            Array.Clear(p);
            p[random.NextInt(count)] = 1.0;
            return p;
        }

        for (int i = 0; i < count; i++)
        {
            p[i] /= sum;
        }

        return p;
    }

    /// <summary>The labels' distinct values, ascending, and the rows of each.</summary>
    public static List<int>[] RowsByClass(Dataset data)
    {
        ReadOnlySpan<float> labels = data.Labels;
        float[] classes = [.. labels.ToArray().Distinct().Order()];
        var rows = new List<int>[classes.Length];
        for (int k = 0; k < classes.Length; k++)
        {
            rows[k] = [];
        }

        for (int i = 0; i < labels.Length; i++)
        {
            rows[Array.BinarySearch(classes, labels[i])].Add(i);
        }

        return rows;
    }
}
