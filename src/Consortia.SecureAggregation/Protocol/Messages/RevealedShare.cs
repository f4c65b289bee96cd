namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>One Shamir share revealed to the server in round 4.</summary>
/// <param name="Owner">The participant whose secret the share belongs to.</param>
/// <param name="Kind">Which secret.</param>
/// <param name="Share">The encoded share (u32be(x) ‖ three 16-byte limbs; x is the revealing participant's index).</param>
public sealed record RevealedShare(ParticipantIndex Owner, SecretKind Kind, ReadOnlyMemory<byte> Share);
