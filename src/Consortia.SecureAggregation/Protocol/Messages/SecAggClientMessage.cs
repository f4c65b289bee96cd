namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>A message from one participant to the coordinator.</summary>
/// <remarks>Record equality is shallow: list and memory members compare by reference.</remarks>
/// <param name="Session">The session the message belongs to.</param>
/// <param name="Sender">The participant that sent it (authenticated by the transport).</param>
public abstract record SecAggClientMessage(SessionId Session, ParticipantIndex Sender);
