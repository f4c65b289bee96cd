using Consortia.Learning.Metrics;

namespace Consortia.Assurance.Fairness;

/// <summary>One site's records for the survival pooled check (simulation only: the records never leave a real site).</summary>
/// <param name="Site">The site.</param>
/// <param name="RiskScores">The model's risk score per test record.</param>
/// <param name="Times">The event or censoring times.</param>
/// <param name="Events">The event flags.</param>
/// <param name="Groups">Per declared attribute, each record's group index.</param>
/// <param name="Suppressed">The cells the site withheld: the pooled check leaves its records out of them too.</param>
public sealed record PooledSurvivalRecords(string Site, float[] RiskScores, float[] Times, float[] Events, IReadOnlyList<int[]> Groups, IReadOnlyCollection<FairnessCell> Suppressed);

/// <summary>The survival pooled check's outcome.</summary>
/// <param name="MaxAbsDiff">The largest absolute difference between a federated and a pooled number (n, events, comparable pairs, C-index).</param>
/// <param name="Compared">How many numbers were compared.</param>
/// <param name="CrossSiteMaxAbsDiff">
/// The largest difference, over the cells, between the site-stratified C-index the audit reports and the all-pairs
/// C-index of the same pooled records (pairs across sites included): what comparing within sites costs.
/// </param>
public sealed record PooledSurvivalCheck(double MaxAbsDiff, int Compared, double CrossSiteMaxAbsDiff)
{
    /// <summary>Recomputes the report's numbers on pooled predictions with <see cref="SurvivalMetrics"/>.</summary>
    /// <param name="audit">The audit.</param>
    /// <param name="report">The federated report.</param>
    /// <param name="sites">Every site's records.</param>
    /// <returns>The check.</returns>
    public static PooledSurvivalCheck Compare(FairnessAudit audit, SurvivalFairnessReport report, IReadOnlyList<PooledSurvivalRecords> sites)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(sites);
        double max = 0, crossSite = 0;
        int compared = 0;
        for (int c = 0; c < audit.Layout.Cells.Length; c++)
        {
            FairnessCell cell = audit.Layout.Cells[c];
            long n = 0, events = 0, concordant = 0, tied = 0, pairs = 0;
            List<float> allRisks = [], allTimes = [], allEvents = [];
            foreach (PooledSurvivalRecords site in sites.Where(s => !s.Suppressed.Contains(cell)))
            {
                int[] rows = [.. Enumerable.Range(0, site.Events.Length).Where(i => InCell(audit, cell, site, i))];
                if (rows.Length == 0)
                {
                    continue;
                }

                (float[] r, float[] t, float[] e) = SurvivalFairnessCounts.Select(rows, site.RiskScores, site.Times, site.Events);
                ConcordanceCounts within = SurvivalMetrics.Concordance(t, e, r);
                (n, events) = (n + rows.Length, events + e.Count(x => x == 1f));
                (concordant, tied, pairs) = (concordant + within.Concordant, tied + within.TiedRisk, pairs + within.ComparablePairs);
                allRisks.AddRange(r);
                allTimes.AddRange(t);
                allEvents.AddRange(e);
            }

            SurvivalGroupFairness federated = report.Groups[c];
            double stratified = new ConcordanceCounts(concordant, tied, pairs).Index;
            double[] differences =
            [
                Math.Abs(federated.N - n), Math.Abs(federated.Events - events), Math.Abs(federated.ComparablePairs - pairs),
                double.IsNaN(stratified) && double.IsNaN(federated.CIndex.Value) ? 0
                    : double.IsNaN(stratified) || double.IsNaN(federated.CIndex.Value) ? double.PositiveInfinity
                    : Math.Abs(stratified - federated.CIndex.Value),
            ];
            compared += differences.Length;
            max = Math.Max(max, differences.Max());
            if (allEvents.Count > 0 && !double.IsNaN(stratified))
            {
                double allPairs = SurvivalMetrics.ConcordanceIndex([.. allTimes], [.. allEvents], [.. allRisks]);
                crossSite = Math.Max(crossSite, Math.Abs(allPairs - stratified));
            }
        }

        return new PooledSurvivalCheck(max, compared, crossSite);
    }

    private static bool InCell(FairnessAudit audit, FairnessCell cell, PooledSurvivalRecords site, int record)
    {
        if (cell.Attribute == FairnessAudit.SiteAttribute)
        {
            return cell.Group == site.Site;
        }

        int a = audit.Attributes.IndexOf(audit.Attributes.Single(x => x.Name == cell.Attribute));
        return audit.Attributes[a].Groups[site.Groups[a][record]].Name == cell.Group;
    }
}
