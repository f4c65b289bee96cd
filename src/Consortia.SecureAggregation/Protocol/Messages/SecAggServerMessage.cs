namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>A message from the coordinator to one participant.</summary>
/// <remarks>Record equality is shallow: list and memory members compare by reference.</remarks>
/// <param name="Session">The session the message belongs to.</param>
/// <param name="Recipient">The participant it is addressed to.</param>
public abstract record SecAggServerMessage(SessionId Session, ParticipantIndex Recipient);
