namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>
/// Round 4, server to participant: which secrets to reveal. For each survivor it holds shares of
/// (itself included) the participant reveals the self-mask seed share; for each dropped neighbour, the
/// mask private-key share. A participant listed as both aborts the recipient.
/// </summary>
/// <param name="Session">The session the message belongs to.</param>
/// <param name="Recipient">The participant it is addressed to.</param>
/// <param name="Survivors">U3: the participants whose input is in the sum, sorted.</param>
/// <param name="Dropped">The recipient's neighbours that shared keys but sent no masked input (U2(u) \ U3).</param>
/// <param name="Attestations">In malicious-server mode, the consistency signatures of the recipient's holders; otherwise empty.</param>
public sealed record UnmaskingRequest(
    SessionId Session,
    ParticipantIndex Recipient,
    IReadOnlyList<ParticipantIndex> Survivors,
    IReadOnlyList<ParticipantIndex> Dropped,
    IReadOnlyList<ConsistencyAttestation> Attestations)
    : SecAggServerMessage(Session, Recipient);
