using System.Globalization;
using Consortia.Data.Preprocessing;
using Consortia.Learning;

namespace Consortia.Data.Partitioning;

/// <summary>
/// Label skew: for each class, the share of its rows that each site gets is drawn from a symmetric
/// Dirichlet(α); small α gives sites dominated by few classes, large α approaches the IID split.
/// </summary>
/// <remarks>
/// The scheme of Hsu, Qi and Brown (2019), "Measuring the Effects of Non-Identical Data Distribution for
/// Federated Visual Classification" (arXiv:1909.06335), also used by Li et al. (2022), "Federated
/// Learning on Non-IID Data Silos: An Experimental Study" (ICDE). Rows of a class are shuffled and cut
/// by the drawn proportions (largest remainders). When a site would get fewer than
/// <see cref="MinimumPerSite"/> rows the whole draw is repeated, at most <see cref="MaxAttempts"/> times.
/// For survival data the classes are the event indicator.
/// </remarks>
public sealed class DirichletLabelPartitioner : IPartitioner
{
    /// <summary>The number of draws tried before giving up on <see cref="MinimumPerSite"/>.</summary>
    public const int MaxAttempts = 1000;

    /// <summary>Creates the partitioner.</summary>
    /// <param name="alpha">The Dirichlet concentration; positive and finite.</param>
    /// <param name="minimumPerSite">The fewest rows a site may get; 0 allows empty sites.</param>
    public DirichletLabelPartitioner(double alpha, int minimumPerSite = 0)
    {
        if (!double.IsFinite(alpha) || alpha <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "The concentration α must be positive and finite.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(minimumPerSite);
        Alpha = alpha;
        MinimumPerSite = minimumPerSite;
    }

    /// <summary>The Dirichlet concentration α.</summary>
    public double Alpha { get; }

    /// <summary>The fewest rows a site may get.</summary>
    public int MinimumPerSite { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="siteCount"/> is below 1, or the data cannot give every site the minimum.</exception>
    /// <exception cref="InvalidOperationException">No draw met the minimum in <see cref="MaxAttempts"/> attempts (α too small for the minimum).</exception>
    public IReadOnlyList<int[]> Partition(Dataset data, int siteCount, RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(siteCount, 1);
        if ((long)siteCount * MinimumPerSite > data.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(siteCount), siteCount, string.Create(CultureInfo.InvariantCulture, $"{data.Count} rows cannot give {siteCount} sites at least {MinimumPerSite} rows each."));
        }

        List<int>[] classes = PartitionChecks.RowsByClass(data);
        int[] unlimited = new int[siteCount];
        Array.Fill(unlimited, int.MaxValue);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var sites = new List<int>[siteCount];
            for (int s = 0; s < siteCount; s++)
            {
                sites[s] = [];
            }

            foreach (List<int> members in classes)
            {
                int[] rows = [.. members];
                random.Shuffle<int>(rows);
                double[] shares = PartitionChecks.Dirichlet(random, Alpha, siteCount);
                int[] counts = Allocation.LargestRemainder(shares, rows.Length, unlimited);
                int offset = 0;
                for (int s = 0; s < siteCount; s++)
                {
                    sites[s].AddRange(rows.AsSpan(offset, counts[s]));
                    offset += counts[s];
                }
            }

            if (Array.TrueForAll(sites, s => s.Count >= MinimumPerSite))
            {
                return [.. sites.Select(s => s.Order().ToArray())];
            }
        }

        throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"No Dirichlet(α = {Alpha}) draw in {MaxAttempts} attempts gave all {siteCount} sites at least {MinimumPerSite} rows; raise α or lower the minimum."));
    }
}
