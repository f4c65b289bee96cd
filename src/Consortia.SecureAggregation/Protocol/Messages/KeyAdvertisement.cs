namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>Round 0, participant to server: two fresh X25519 public keys (32 bytes each, RFC 7748 u-coordinates).</summary>
/// <param name="Session">The session the message belongs to.</param>
/// <param name="Sender">The advertising participant.</param>
/// <param name="CipherPublicKey">c_u^PK, for the encryption of shares.</param>
/// <param name="MaskPublicKey">s_u^PK, for the pairwise masks.</param>
/// <param name="Signature">In malicious-server mode, the identity-key signature over ("adv", session, u, c_u^PK, s_u^PK); otherwise <see langword="null"/>.</param>
public sealed record KeyAdvertisement(
    SessionId Session,
    ParticipantIndex Sender,
    ReadOnlyMemory<byte> CipherPublicKey,
    ReadOnlyMemory<byte> MaskPublicKey,
    ReadOnlyMemory<byte>? Signature)
    : SecAggClientMessage(Session, Sender);
