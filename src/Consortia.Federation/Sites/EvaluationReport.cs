namespace Consortia.Federation.Sites;

/// <summary>Aggregate evaluation metrics of one site's test data (no per-patient output).</summary>
/// <param name="Site">The site.</param>
/// <param name="Examples">The number of test examples.</param>
/// <param name="Metrics">The metric values.</param>
public sealed record EvaluationReport(SiteId Site, int Examples, IReadOnlyList<MetricValue> Metrics);
