namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>One participant's advertised keys, as relayed by the server in a <see cref="KeyRoster"/>.</summary>
/// <param name="Participant">The participant the keys belong to.</param>
/// <param name="CipherPublicKey">c_v^PK (32-byte X25519 public key).</param>
/// <param name="MaskPublicKey">s_v^PK (32-byte X25519 public key).</param>
/// <param name="Signature">The participant's signature, in malicious-server mode.</param>
public sealed record AdvertisedKeys(
    ParticipantIndex Participant,
    ReadOnlyMemory<byte> CipherPublicKey,
    ReadOnlyMemory<byte> MaskPublicKey,
    ReadOnlyMemory<byte>? Signature);
