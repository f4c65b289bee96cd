namespace Consortia.Federation.Sites;

/// <summary>Aggregate evaluation metrics of one site's test data (no per-patient output).</summary>
/// <param name="Site">The site.</param>
/// <param name="Examples">The number of test examples.</param>
/// <param name="Metrics">The metric values.</param>
public sealed record EvaluationReport(SiteId Site, int Examples, IReadOnlyList<MetricValue> Metrics)
{
    /// <summary>
    /// With <c>personalisation:</c>, the same metrics of the site's personal model (Ditto's, or the global model fine-tuned
    /// at the site) on the same test data, released under the same policy; <see langword="null"/> without personalisation.
    /// The personal model itself never leaves the site.
    /// </summary>
    public IReadOnlyList<MetricValue>? Personal { get; init; }
}
