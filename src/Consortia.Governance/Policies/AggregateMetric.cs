namespace Consortia.Governance.Policies;

/// <summary>An aggregate metric after small-cell suppression.</summary>
/// <param name="Name">The metric name.</param>
/// <param name="Value">The value, or <see langword="null"/> when suppressed.</param>
/// <param name="CellCount">The number of records the metric was computed over.</param>
/// <param name="Suppressed">Whether the value was withheld.</param>
/// <param name="Reason">Why the value was withheld, or <see langword="null"/>.</param>
public sealed record AggregateMetric(string Name, double? Value, long CellCount, bool Suppressed, string? Reason);
