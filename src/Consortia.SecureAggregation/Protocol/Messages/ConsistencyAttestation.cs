namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>A participant's consistency signature, relayed by the server in an <see cref="UnmaskingRequest"/>.</summary>
/// <param name="Signer">The signing participant.</param>
/// <param name="Signature">Its signature over ("consistency", session, U3).</param>
public sealed record ConsistencyAttestation(ParticipantIndex Signer, ReadOnlyMemory<byte> Signature);
