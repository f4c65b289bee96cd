using System.Globalization;
using Consortia.Data.Preprocessing;
using Consortia.Learning;

namespace Consortia.Data.Partitioning;

/// <summary>
/// Quantity skew: site sizes follow proportions drawn from a symmetric Dirichlet(β) on top of a minimum
/// per site; rows are otherwise assigned at random, so label proportions stay close to the whole data's.
/// </summary>
/// <remarks>
/// The quantity-skew setting of Li et al. (2022), "Federated Learning on Non-IID Data Silos: An
/// Experimental Study" (ICDE). Each site first gets <see cref="MinimumPerSite"/> rows; the rest are
/// shared by the drawn proportions (largest remainders). Small β gives a few large sites and many small ones.
/// </remarks>
public sealed class QuantitySkewPartitioner : IPartitioner
{
    /// <summary>Creates the partitioner.</summary>
    /// <param name="beta">The Dirichlet concentration of the site sizes; positive and finite.</param>
    /// <param name="minimumPerSite">The fewest rows a site gets; at least 1.</param>
    public QuantitySkewPartitioner(double beta, int minimumPerSite = 1)
    {
        if (!double.IsFinite(beta) || beta <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(beta), beta, "The concentration β must be positive and finite.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(minimumPerSite, 1);
        Beta = beta;
        MinimumPerSite = minimumPerSite;
    }

    /// <summary>The Dirichlet concentration β of the site sizes.</summary>
    public double Beta { get; }

    /// <summary>The fewest rows a site gets.</summary>
    public int MinimumPerSite { get; }

    /// <summary>Draws the site sizes: at least <see cref="MinimumPerSite"/> each, summing to <paramref name="rows"/>.</summary>
    /// <param name="rows">The number of rows to share.</param>
    /// <param name="siteCount">The number of sites.</param>
    /// <param name="random">The source of the draw.</param>
    /// <returns>One size per site.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The rows cannot give every site the minimum.</exception>
    public int[] DrawSizes(int rows, int siteCount, RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        PartitionChecks.SiteCount(siteCount, rows, MinimumPerSite);
        double[] shares = PartitionChecks.Dirichlet(random, Beta, siteCount);
        int[] unlimited = new int[siteCount];
        Array.Fill(unlimited, int.MaxValue);
        int[] sizes = Allocation.LargestRemainder(shares, rows - (siteCount * MinimumPerSite), unlimited);
        for (int s = 0; s < siteCount; s++)
        {
            sizes[s] += MinimumPerSite;
        }

        return sizes;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="siteCount"/> is below 1, or the data cannot give every site the minimum.</exception>
    public IReadOnlyList<int[]> Partition(Dataset data, int siteCount, RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        int[] sizes = DrawSizes(data.Count, siteCount, random);
        int[] order = [.. Enumerable.Range(0, data.Count)];
        random.Shuffle<int>(order);
        return PartitionChecks.Cut(order, sizes);
    }
}
