namespace Consortia.Federation.Strategies.Cyclic;

/// <summary>The visiting order of the current cycle (indices into the roster), checkpointed between rounds.</summary>
/// <param name="Order">The order, or empty before the first cycle starts.</param>
public sealed record CyclicState(int[] Order) : StrategyState;
