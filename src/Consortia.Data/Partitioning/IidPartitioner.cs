using System.Globalization;
using Consortia.Learning;

namespace Consortia.Data.Partitioning;

/// <summary>The IID split: rows shuffled and dealt into sites whose sizes differ by at most one.</summary>
public sealed class IidPartitioner : IPartitioner
{
    /// <inheritdoc />
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="siteCount"/> is below 1 or above the number of rows.</exception>
    public IReadOnlyList<int[]> Partition(Dataset data, int siteCount, RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        PartitionChecks.SiteCount(siteCount, data.Count);
        int[] order = [.. Enumerable.Range(0, data.Count)];
        random.Shuffle<int>(order);
        int[] sizes = new int[siteCount];
        for (int s = 0; s < siteCount; s++)
        {
            sizes[s] = (data.Count / siteCount) + (s < data.Count % siteCount ? 1 : 0);
        }

        return PartitionChecks.Cut(order, sizes);
    }
}
