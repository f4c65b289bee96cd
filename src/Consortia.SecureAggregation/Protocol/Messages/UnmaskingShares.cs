namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>Round 4, participant to server: exactly the shares the <see cref="UnmaskingRequest"/> asked for.</summary>
/// <param name="Session">The session the message belongs to.</param>
/// <param name="Sender">The revealing participant.</param>
/// <param name="Shares">The revealed shares.</param>
public sealed record UnmaskingShares(SessionId Session, ParticipantIndex Sender, IReadOnlyList<RevealedShare> Shares)
    : SecAggClientMessage(Session, Sender);
