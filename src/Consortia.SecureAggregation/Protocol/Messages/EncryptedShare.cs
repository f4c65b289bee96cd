namespace Consortia.SecureAggregation.Protocol.Messages;

/// <summary>
/// The AES-256-GCM encryption, from <paramref name="Sender"/> to <paramref name="Recipient"/>, of the
/// sender's shares of its mask private key and self-mask seed (ciphertext followed by the 16-byte tag).
/// </summary>
/// <param name="Sender">The participant whose secrets are shared.</param>
/// <param name="Recipient">The holder that can decrypt it.</param>
/// <param name="Ciphertext">Ciphertext ‖ tag; the server cannot read it.</param>
public sealed record EncryptedShare(ParticipantIndex Sender, ParticipantIndex Recipient, ReadOnlyMemory<byte> Ciphertext);
