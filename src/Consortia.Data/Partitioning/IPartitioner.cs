using Consortia.Learning;

namespace Consortia.Data.Partitioning;

/// <summary>Splits one dataset's rows among simulated sites.</summary>
/// <remarks>
/// Every implementation assigns each row to exactly one site, returns each site's rows in ascending
/// order, and is deterministic: the same data, site count and random seed give the same partition.
/// </remarks>
public interface IPartitioner
{
    /// <summary>Assigns the rows of <paramref name="data"/> to <paramref name="siteCount"/> sites.</summary>
    /// <param name="data">The rows to share out.</param>
    /// <param name="siteCount">The number of sites; at least 1.</param>
    /// <param name="random">The source of every random choice (derive it from the job seed).</param>
    /// <returns>One array of row indices per site, ascending; together they hold every row once.</returns>
    public IReadOnlyList<int[]> Partition(Dataset data, int siteCount, RandomSource random);
}
