namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>Round 3 (malicious-server mode), participant to server: its signature over ("consistency", session, U3).</summary>
/// <param name="Session">The session the message belongs to.</param>
/// <param name="Sender">The signing participant.</param>
/// <param name="Signature">The identity-key signature.</param>
public sealed record ConsistencySignature(SessionId Session, ParticipantIndex Sender, ReadOnlyMemory<byte> Signature)
    : SecAggClientMessage(Session, Sender);
