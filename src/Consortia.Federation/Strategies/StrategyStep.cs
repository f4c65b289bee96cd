using Consortia.Learning;

namespace Consortia.Federation.Strategies;

/// <summary>The result of aggregation: the next global parameters and the strategy's next state.</summary>
/// <param name="Parameters">The new global parameters.</param>
/// <param name="State">The new strategy state.</param>
public sealed record StrategyStep(ParameterVector Parameters, StrategyState State);
