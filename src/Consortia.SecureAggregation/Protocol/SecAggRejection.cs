namespace Consortia.SecureAggregation.Protocol;

/// <summary>A rejected message or an abort, with its reason; logged by the caller.</summary>
/// <param name="Error">The reason.</param>
/// <param name="Participant">The participant the problem concerns (the sender of the rejected message, or a listed participant), if any.</param>
/// <param name="Detail">A human-readable explanation; never contains keys, shares or vectors.</param>
public sealed record SecAggRejection(SecAggError Error, ParticipantIndex? Participant, string Detail);
