namespace Consortia.Federation.Strategies;

/// <summary>Which sites evaluate the model.</summary>
/// <param name="Sites">The sites.</param>
public sealed record EvaluationPlan(IReadOnlyList<SiteId> Sites);
