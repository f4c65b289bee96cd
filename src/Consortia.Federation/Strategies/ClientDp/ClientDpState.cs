namespace Consortia.Federation.Strategies.ClientDp;

/// <summary>The state of <see cref="ClientDpStrategy"/>: the wrapped strategy's state and the current clipping bound.</summary>
/// <param name="Inner">The wrapped strategy's state.</param>
/// <param name="ClipNorm">The bound C sent to the sites next round (constant under fixed clipping).</param>
public sealed record ClientDpState(StrategyState Inner, double ClipNorm) : StrategyState;
