namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>
/// Round 2, server to participant: the encrypted shares addressed to it by neighbours that completed
/// round 1; their senders define the participant's surviving neighbours U2(u), whose pairwise masks it applies.
/// </summary>
/// <param name="Session">The session the message belongs to.</param>
/// <param name="Recipient">The participant it is addressed to.</param>
/// <param name="Shares">The routed ciphertexts.</param>
public sealed record ShareDelivery(SessionId Session, ParticipantIndex Recipient, IReadOnlyList<EncryptedShare> Shares)
    : SecAggServerMessage(Session, Recipient);
