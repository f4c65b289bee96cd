namespace Consortia.Federation.Engine;

/// <summary>The outcome of a federated run.</summary>
/// <param name="FinalModel">The final global model.</param>
/// <param name="Rounds">One report per round.</param>
/// <param name="Elapsed">Total wall time.</param>
public sealed record JobResult(GlobalModel FinalModel, IReadOnlyList<RoundReport> Rounds, TimeSpan Elapsed);
