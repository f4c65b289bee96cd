namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>Round 2, participant to server: y_u = x_u + self mask ± pairwise masks (mod 2^32).</summary>
/// <param name="Session">The session the message belongs to.</param>
/// <param name="Sender">The participant.</param>
/// <param name="Vector">The masked vector; uniformly distributed to anyone without the masks.</param>
public sealed record MaskedInput(SessionId Session, ParticipantIndex Sender, ReadOnlyMemory<uint> Vector)
    : SecAggClientMessage(Session, Sender);
