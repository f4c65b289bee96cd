using Consortia.Federation.Strategies;

namespace Consortia.Federation.Simulation;

/// <summary>A non-federated baseline's test metrics at every site.</summary>
/// <param name="Name">"pooled" or "local:SITE".</param>
/// <param name="Evaluation">Its metrics on each site's test set.</param>
public sealed record BaselineResult(string Name, MetricSummary Evaluation);
