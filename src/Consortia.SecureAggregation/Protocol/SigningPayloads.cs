using System.Buffers.Binary;

namespace Consortia.SecureAggregation.Protocol;

/// <summary>The canonical byte strings participants sign (design reference §2.3, §2.7).</summary>
internal static class SigningPayloads
{
    private static ReadOnlySpan<byte> AdvertisementLabel => "consortia.secagg.v1.adv"u8;
    private static ReadOnlySpan<byte> ConsistencyLabel => "consortia.secagg.v1.consistency"u8;

    /// <summary>("adv", SessionId0, u, c_u^PK, s_u^PK).</summary>
    internal static byte[] Advertisement(SessionId session, ParticipantIndex participant, ReadOnlySpan<byte> cipherKey, ReadOnlySpan<byte> maskKey)
    {
        byte[] payload = new byte[AdvertisementLabel.Length + SessionId.Length + 8 + 4 + cipherKey.Length + 4 + maskKey.Length];
        Span<byte> rest = payload;
        AdvertisementLabel.CopyTo(rest);
        rest = rest[AdvertisementLabel.Length..];
        session.CopyTo(rest);
        rest = rest[SessionId.Length..];
        BinaryPrimitives.WriteUInt64BigEndian(rest, (ulong)participant.Value);
        rest = rest[8..];
        BinaryPrimitives.WriteInt32BigEndian(rest, cipherKey.Length);
        cipherKey.CopyTo(rest[4..]);
        rest = rest[(4 + cipherKey.Length)..];
        BinaryPrimitives.WriteInt32BigEndian(rest, maskKey.Length);
        maskKey.CopyTo(rest[4..]);
        return payload;
    }

    /// <summary>("consistency", SessionId0, sorted survivor list).</summary>
    internal static byte[] Consistency(SessionId session, IReadOnlyList<ParticipantIndex> survivors)
    {
        byte[] payload = new byte[ConsistencyLabel.Length + SessionId.Length + 4 + (8 * survivors.Count)];
        Span<byte> rest = payload;
        ConsistencyLabel.CopyTo(rest);
        rest = rest[ConsistencyLabel.Length..];
        session.CopyTo(rest);
        rest = rest[SessionId.Length..];
        BinaryPrimitives.WriteInt32BigEndian(rest, survivors.Count);
        rest = rest[4..];
        foreach (ParticipantIndex survivor in survivors)
        {
            BinaryPrimitives.WriteUInt64BigEndian(rest, (ulong)survivor.Value);
            rest = rest[8..];
        }

        return payload;
    }
}
