namespace Consortia.Federation.Strategies;

/// <summary>A strategy's serialisable state between rounds (checkpointed by the engine).</summary>
public abstract record StrategyState;

/// <summary>The state of strategies that keep nothing between rounds.</summary>
public sealed record NoStrategyState : StrategyState
{
    /// <summary>The single instance.</summary>
    public static NoStrategyState Instance { get; } = new();
}
