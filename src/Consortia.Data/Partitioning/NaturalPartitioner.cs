using System.Globalization;
using Consortia.Learning;

namespace Consortia.Data.Partitioning;

/// <summary>The natural split: rows with the same key (hospital, region) go to the same site.</summary>
/// <remarks>Sites come in the order their keys first appear. No randomness is used.</remarks>
public sealed class NaturalPartitioner : IPartitioner
{
    private readonly string[] _keys;

    /// <summary>Creates the partitioner from one key per row.</summary>
    /// <param name="keys">The site key of each row of the data that will be partitioned.</param>
    public NaturalPartitioner(IReadOnlyList<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = [.. keys];
        if (Array.Exists(_keys, k => k is null))
        {
            throw new ArgumentException("Every row needs a key.", nameof(keys));
        }

        SiteKeys = [.. _keys.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The distinct keys in order of first appearance: site <c>i</c> holds the rows with key <c>SiteKeys[i]</c>.</summary>
    public IReadOnlyList<string> SiteKeys { get; }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The data has a different number of rows than keys, or <paramref name="siteCount"/> is not the number of distinct keys.</exception>
    public IReadOnlyList<int[]> Partition(Dataset data, int siteCount, RandomSource random)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(random);
        if (data.Count != _keys.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The partitioner has {_keys.Length} keys but the data has {data.Count} rows."), nameof(data));
        }

        if (siteCount != SiteKeys.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(siteCount), siteCount, string.Create(CultureInfo.InvariantCulture, $"The keys name {SiteKeys.Count} sites."));
        }

        var siteOf = new Dictionary<string, int>(StringComparer.Ordinal);
        var sites = new List<int>[siteCount];
        for (int s = 0; s < siteCount; s++)
        {
            siteOf[SiteKeys[s]] = s;
            sites[s] = [];
        }

        for (int row = 0; row < _keys.Length; row++)
        {
            sites[siteOf[_keys[row]]].Add(row);
        }

        return [.. sites.Select(s => s.ToArray())];
    }
}
