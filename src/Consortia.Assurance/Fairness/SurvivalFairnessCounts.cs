using System.Collections.Immutable;
using Consortia.Learning.Metrics;

namespace Consortia.Assurance.Fairness;

/// <summary>
/// What one site releases for a fairness audit of a survival (Cox) model: per (attribute, group) cell a block of
/// <see cref="BlockLength"/> integers — released flag, records, events, and the concordant, risk-tied and comparable
/// pairs of Harrell's C-index among the site's own records of that group.
/// </summary>
/// <remarks>
/// <para>
/// Pairs are formed within a site and the pair counts summed over sites: the reported per-group C-index is the
/// site-stratified C-index (each comparable pair has both records at one site). This keeps the release to six
/// integers per cell and makes the coordinator's number exactly what the pooled predictions give for the same
/// definition. The all-pairs C-index (pairs across sites too) would need each site to release a time × risk-score
/// histogram on a shared grid, and would then be exact only on the quantised times, where tied time bins change which
/// pairs are comparable; the pooled check measures how far the stratified index is from the all-pairs one instead
/// (<see cref="PooledSurvivalCheck.CrossSiteMaxAbsDiff"/>).
/// </para>
/// <para>
/// A cell over fewer records than the site's minimum cell count is left at zero (its counts never leave the site),
/// as for the classification audit.
/// </para>
/// </remarks>
public static class SurvivalFairnessCounts
{
    internal const int Released = 0;
    internal const int Records = 1;
    internal const int Events = 2;
    internal const int Concordant = 3;
    internal const int TiedRisk = 4;
    internal const int Comparable = 5;

    /// <summary>The length of one cell's block.</summary>
    public const int BlockLength = 6;

    /// <summary>The length of a site's whole vector for <paramref name="audit"/>.</summary>
    /// <param name="audit">The audit.</param>
    /// <returns>Cells × <see cref="BlockLength"/>.</returns>
    public static int Length(FairnessAudit audit)
    {
        ArgumentNullException.ThrowIfNull(audit);
        return audit.Layout.Cells.Length * BlockLength;
    }

    /// <summary>Computes a site's counts from its model's risk scores.</summary>
    /// <param name="audit">The audit (its threshold is not used).</param>
    /// <param name="site">The site's name (one of <see cref="FairnessAudit.Sites"/>).</param>
    /// <param name="riskScores">The model's risk score per test record (higher: earlier event expected).</param>
    /// <param name="times">The time of the event or of censoring per record.</param>
    /// <param name="events">The event indicator per record, 0 or 1.</param>
    /// <param name="groups">Per declared attribute, each record's group index.</param>
    /// <param name="minimumCellCount">The site policy's minimum cell count: a cell over fewer records is withheld.</param>
    /// <returns>The counts to send (<see cref="SiteFairnessCounts.Counts"/> in this class's layout).</returns>
    /// <exception cref="ArgumentException">Lengths differ, a group index is out of range, or the metric's own checks fail (NaN, an event flag not 0 or 1).</exception>
    public static SiteFairnessCounts Compute(
        FairnessAudit audit, string site, ReadOnlySpan<float> riskScores, ReadOnlySpan<float> times, ReadOnlySpan<float> events, IReadOnlyList<int[]> groups, int minimumCellCount)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumCellCount, 1);
        int siteIndex = audit.Sites.IndexOf(site);
        if (siteIndex < 0)
        {
            throw new ArgumentException($"Site '{site}' is not one of the audit's sites ({string.Join(", ", audit.Sites)}).", nameof(site));
        }

        int records = events.Length;
        if (riskScores.Length != records || times.Length != records || groups.Count != audit.Attributes.Length || groups.Any(g => g.Length != records))
        {
            throw new ArgumentException(
                $"Expected one risk score, time, event flag and group per record for each of the {audit.Attributes.Length} attributes; got {riskScores.Length} scores, {times.Length} times, {events.Length} event flags and {groups.Count} group columns.", nameof(groups));
        }

        FairnessCountLayout layout = audit.Layout;
        long[] counts = new long[Length(audit)];
        ImmutableArray<FairnessCell>.Builder suppressed = ImmutableArray.CreateBuilder<FairnessCell>();
        Fill(counts, layout.CellIndex(0, siteIndex), [.. Enumerable.Range(0, records)], riskScores, times, events, minimumCellCount, layout, suppressed);
        for (int a = 0; a < groups.Count; a++)
        {
            int[] column = groups[a];
            int groupCount = audit.Attributes[a].Groups.Length;
            int bad = Array.FindIndex(column, g => (uint)g >= (uint)groupCount);
            if (bad >= 0)
            {
                throw new ArgumentException($"Record {bad}: group index {column[bad]} of attribute '{audit.Attributes[a].Name}' is out of range.", nameof(groups));
            }

            for (int g = 0; g < groupCount; g++)
            {
                int[] members = [.. Enumerable.Range(0, records).Where(i => column[i] == g)];
                Fill(counts, layout.CellIndex(a + 1, g), members, riskScores, times, events, minimumCellCount, layout, suppressed);
            }
        }

        return new SiteFairnessCounts(site, [.. counts], suppressed.ToImmutable());
    }

    // One cell: its members' pair counts, or zeros (and a suppressed entry) when the cell is too small to release.
    private static void Fill(
        long[] counts, int cell, int[] members, ReadOnlySpan<float> riskScores, ReadOnlySpan<float> times, ReadOnlySpan<float> events,
        int minimumCellCount, FairnessCountLayout layout, ImmutableArray<FairnessCell>.Builder suppressed)
    {
        if (members.Length < minimumCellCount)
        {
            // Suppressed at the source: the block stays zero in the plain report and in a secure-aggregation input.
            suppressed.Add(layout.Cells[cell]);
            return;
        }

        (float[] r, float[] t, float[] e) = Select(members, riskScores, times, events);
        ConcordanceCounts pairs = SurvivalMetrics.Concordance(t, e, r);
        Span<long> block = counts.AsSpan(cell * BlockLength, BlockLength);
        block[Released] = 1;
        block[Records] = members.Length;
        block[Events] = e.Count(x => x == 1f);
        block[Concordant] = pairs.Concordant;
        block[TiedRisk] = pairs.TiedRisk;
        block[Comparable] = pairs.ComparablePairs;
    }

    internal static (float[] Risks, float[] Times, float[] Events) Select(IReadOnlyList<int> rows, ReadOnlySpan<float> riskScores, ReadOnlySpan<float> times, ReadOnlySpan<float> events)
    {
        float[] r = new float[rows.Count], t = new float[rows.Count], e = new float[rows.Count];
        for (int k = 0; k < rows.Count; k++)
        {
            r[k] = riskScores[rows[k]];
            t[k] = times[rows[k]];
            e[k] = events[rows[k]];
        }

        return (r, t, e);
    }
}
