using Consortia.Learning;

namespace Consortia.Federation.Strategies.Scaffold;

/// <summary>The server control variate c, checkpointed between rounds.</summary>
/// <param name="ControlVariate">c.</param>
public sealed record ScaffoldState(ParameterVector ControlVariate) : StrategyState;
