namespace Consortia.Federation.Strategies.FedAvgM;

/// <summary>The server momentum buffer, checkpointed between rounds.</summary>
/// <param name="Velocity">v.</param>
public sealed record FedAvgMState(float[] Velocity) : StrategyState;
