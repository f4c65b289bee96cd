namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>Round 1, participant to server: one encrypted share per neighbour, for the server to route.</summary>
/// <param name="Session">The session the message belongs to.</param>
/// <param name="Sender">The sharing participant.</param>
/// <param name="Shares">Exactly one share per neighbour.</param>
public sealed record EncryptedShares(SessionId Session, ParticipantIndex Sender, IReadOnlyList<EncryptedShare> Shares)
    : SecAggClientMessage(Session, Sender);
