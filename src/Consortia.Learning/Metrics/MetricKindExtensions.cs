
namespace Consortia.Learning.Metrics;

/// <summary>Report names and optimisation direction of each <see cref="MetricKind"/>.</summary>
public static class MetricKindExtensions
{
    /// <summary>The snake_case name used for the metric in reports and job files.</summary>
    /// <param name="kind">The metric.</param>
    /// <returns><c>accuracy</c>, <c>roc_auc</c>, <c>log_loss</c>, <c>brier</c> or <c>c_index</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined value.</exception>
    public static string ReportName(this MetricKind kind) => kind switch
    {
        MetricKind.Accuracy => "accuracy",
        MetricKind.RocAuc => "roc_auc",
        MetricKind.LogLoss => "log_loss",
        MetricKind.BrierScore => "brier",
        MetricKind.ConcordanceIndex => "c_index",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown metric kind."),
    };

    /// <summary>Whether a larger value of the metric means a better model.</summary>
    /// <param name="kind">The metric.</param>
    /// <returns><see langword="true"/> for accuracy, ROC-AUC and C-index; <see langword="false"/> for log-loss and Brier score.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is not a defined value.</exception>
    public static bool HigherIsBetter(this MetricKind kind) => kind switch
    {
        MetricKind.Accuracy or MetricKind.RocAuc or MetricKind.ConcordanceIndex => true,
        MetricKind.LogLoss or MetricKind.BrierScore => false,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown metric kind."),
    };

    /// <summary>Finds the metric whose <see cref="ReportName"/> is <paramref name="name"/> (exact, case-sensitive).</summary>
    /// <param name="name">A report name such as <c>roc_auc</c>.</param>
    /// <param name="kind">The metric, when found.</param>
    /// <returns>Whether a metric has that report name.</returns>
    public static bool TryParseReportName(string? name, out MetricKind kind)
    {
        foreach (MetricKind candidate in Enum.GetValues<MetricKind>())
        {
            if (string.Equals(candidate.ReportName(), name, StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
