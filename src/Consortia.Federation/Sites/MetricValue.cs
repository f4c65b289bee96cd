using Consortia.Learning.Metrics;

namespace Consortia.Federation.Sites;

/// <summary>One named metric value.</summary>
/// <param name="Kind">The metric.</param>
/// <param name="Value">Its value; NaN when undefined on the data (e.g. ROC-AUC with one class).</param>
public readonly record struct MetricValue(MetricKind Kind, double Value);
