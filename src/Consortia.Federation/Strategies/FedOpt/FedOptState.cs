namespace Consortia.Federation.Strategies.FedOpt;

/// <summary>The server optimizer's moments, checkpointed between rounds.</summary>
/// <param name="FirstMoment">m.</param>
/// <param name="SecondMoment">v.</param>
public sealed record FedOptState(float[] FirstMoment, float[] SecondMoment) : StrategyState;
