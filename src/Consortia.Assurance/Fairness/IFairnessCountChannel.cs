namespace Consortia.Assurance.Fairness;

/// <summary>
/// How the sites' count vectors reach the coordinator: it returns only their element-wise sum (secure aggregation when
/// the job uses it, a plain sum of plain reports otherwise).
/// </summary>
public interface IFairnessCountChannel
{
    /// <summary>Sums the sites' counts.</summary>
    /// <param name="sites">What each site sends.</param>
    /// <returns>The element-wise sum.</returns>
    public long[] Sum(IReadOnlyList<SiteFairnessCounts> sites);
}

/// <summary>Without secure aggregation: each site's vector reaches the coordinator as it is, and the coordinator adds them.</summary>
public sealed class PlainCountChannel : IFairnessCountChannel
{
    /// <inheritdoc/>
    public long[] Sum(IReadOnlyList<SiteFairnessCounts> sites)
    {
        ArgumentNullException.ThrowIfNull(sites);
        long[] sum = new long[sites.Count == 0 ? 0 : sites[0].Counts.Length];
        foreach (SiteFairnessCounts site in sites)
        {
            if (site.Counts.Length != sum.Length)
            {
                throw new ArgumentException($"Site '{site.Site}' sent {site.Counts.Length} counts; expected {sum.Length}.", nameof(sites));
            }

            for (int i = 0; i < sum.Length; i++)
            {
                sum[i] += site.Counts[i];
            }
        }

        return sum;
    }
}
