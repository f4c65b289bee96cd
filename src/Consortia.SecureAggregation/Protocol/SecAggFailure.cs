namespace Consortia.SecureAggregation.Protocol;

/// <summary>Why the server ended a session without output.</summary>
/// <param name="Error">The reason, typically <see cref="SecAggError.InsufficientSurvivors"/>.</param>
/// <param name="Stage">The stage whose closing failed.</param>
/// <param name="Detail">A human-readable explanation; never contains keys, shares or vectors.</param>
public sealed record SecAggFailure(SecAggError Error, SecAggStage Stage, string Detail);
