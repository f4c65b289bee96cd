using Consortia.SecureAggregation.Protocol.Messages;

namespace Consortia.SecureAggregation.Simulation;

/// <summary>
/// Payload-level size of a message in a compact binary encoding: a 37-byte header (session id, participant,
/// type) plus keys, signatures, ciphertexts, shares (4-byte ids) and 4 bytes per vector coordinate.
/// </summary>
internal static class WireSize
{
    private const int Header = 32 + 4 + 1;
    private const int Id = 4;

    internal static long Of(SecAggServerMessage message) => message switch
    {
        AdvertiseKeysRequest => Header,
        KeyRoster roster => Header + roster.Keys.Sum(k => (long)Id + k.CipherPublicKey.Length + k.MaskPublicKey.Length + (k.Signature?.Length ?? 0)),
        ShareDelivery delivery => Header + delivery.Shares.Sum(s => (long)(2 * Id) + s.Ciphertext.Length),
        ConsistencyRequest request => Header + (Id * (long)request.Survivors.Count),
        UnmaskingRequest request => Header + (Id * (long)(request.Survivors.Count + request.Dropped.Count)) + request.Attestations.Sum(a => (long)Id + a.Signature.Length),
        _ => throw new System.Diagnostics.UnreachableException(),
    };

    internal static long Of(SecAggClientMessage message) => message switch
    {
        KeyAdvertisement advertisement => Header + advertisement.CipherPublicKey.Length + advertisement.MaskPublicKey.Length + (advertisement.Signature?.Length ?? 0),
        EncryptedShares shares => Header + shares.Shares.Sum(s => (long)(2 * Id) + s.Ciphertext.Length),
        MaskedInput input => Header + (sizeof(uint) * (long)input.Vector.Length),
        ConsistencySignature signature => Header + signature.Signature.Length,
        UnmaskingShares shares => Header + shares.Shares.Sum(s => (long)Id + 1 + s.Share.Length),
        _ => throw new System.Diagnostics.UnreachableException(),
    };
}
