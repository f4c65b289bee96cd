namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>Round 3 (malicious-server mode), server to participant: the survivor list U3 to sign.</summary>
/// <param name="Session">The session the message belongs to.</param>
/// <param name="Recipient">The participant it is addressed to.</param>
/// <param name="Survivors">The participants whose masked input the server accepted, sorted.</param>
public sealed record ConsistencyRequest(SessionId Session, ParticipantIndex Recipient, IReadOnlyList<ParticipantIndex> Survivors)
    : SecAggServerMessage(Session, Recipient);
