namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>
/// Round 1, server to participant: the advertised keys of every participant that answered round 0 (U1).
/// </summary>
/// <remarks>
/// The full roster is sent even with a SecAgg+ graph, so that each participant can recompute the graph
/// seed and check its own neighbourhood (O(n) bytes, about 130 per participant).
/// </remarks>
/// <param name="Session">The session the message belongs to.</param>
/// <param name="Recipient">The participant it is addressed to.</param>
/// <param name="Keys">The keys of U1, one entry per participant.</param>
public sealed record KeyRoster(SessionId Session, ParticipantIndex Recipient, IReadOnlyList<AdvertisedKeys> Keys)
    : SecAggServerMessage(Session, Recipient);
