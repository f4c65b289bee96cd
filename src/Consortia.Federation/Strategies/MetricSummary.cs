using Consortia.Federation.Sites;

namespace Consortia.Federation.Strategies;

/// <summary>Evaluation metrics combined over sites.</summary>
/// <param name="Mean">The unweighted mean over sites of each metric (FLamby's headline figure), NaN values skipped.</param>
/// <param name="Weighted">The mean weighted by each site's number of test examples.</param>
/// <param name="Sites">The per-site reports in canonical order.</param>
public sealed record MetricSummary(IReadOnlyList<MetricValue> Mean, IReadOnlyList<MetricValue> Weighted, IReadOnlyList<EvaluationReport> Sites)
{
    /// <summary>Builds the summary from per-site reports.</summary>
    /// <param name="reports">The reports, each with the same metrics in the same order.</param>
    /// <returns>The summary.</returns>
    public static MetricSummary FromReports(IReadOnlyList<EvaluationReport> reports)
    {
        ArgumentNullException.ThrowIfNull(reports);
        if (reports.Count == 0)
        {
            return new MetricSummary([], [], []);
        }

        IReadOnlyList<MetricValue> first = reports[0].Metrics;
        MetricValue[] mean = new MetricValue[first.Count];
        MetricValue[] weighted = new MetricValue[first.Count];
        for (int m = 0; m < first.Count; m++)
        {
            double sum = 0, weightedSum = 0, weights = 0;
            int count = 0;
            foreach (EvaluationReport report in reports)
            {
                double value = report.Metrics[m].Value;
                if (double.IsFinite(value))
                {
                    sum += value;
                    count++;
                    weightedSum += value * report.Examples;
                    weights += report.Examples;
                }
            }

            mean[m] = new MetricValue(first[m].Kind, count == 0 ? double.NaN : sum / count);
            weighted[m] = new MetricValue(first[m].Kind, weights == 0 ? double.NaN : weightedSum / weights);
        }

        return new MetricSummary(mean, weighted, reports);
    }
}
