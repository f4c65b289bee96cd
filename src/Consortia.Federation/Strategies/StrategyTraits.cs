namespace Consortia.Federation.Strategies;

/// <summary>What a strategy needs from the engine.</summary>
/// <param name="NeedsIndividualUpdates">Whether it needs each site's update (robust aggregation); such
/// strategies are refused at job validation when secure aggregation is on.</param>
public sealed record StrategyTraits(bool NeedsIndividualUpdates);
