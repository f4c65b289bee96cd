namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>Round 0, server to participant: start the session and advertise fresh keys.</summary>
/// <param name="Session">The session the message belongs to.</param>
/// <param name="Recipient">The participant it is addressed to.</param>
public sealed record AdvertiseKeysRequest(SessionId Session, ParticipantIndex Recipient)
    : SecAggServerMessage(Session, Recipient);
