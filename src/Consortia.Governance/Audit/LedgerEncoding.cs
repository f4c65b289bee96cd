using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Consortia.Governance.Audit;

/// <summary>The canonical binary encodings whose SHA-256 are the header hash and the entry hashes.</summary>
/// <remarks>
/// <para>Integers are big-endian. <c>LP(x)</c> is a 4-byte big-endian length followed by the bytes of <c>x</c>;
/// text is UTF-8 exactly as stored.</para>
/// <para>Header: <c>LP("consortia.ledger.header.v1") ‖ i32(format) ‖ LP(writer id) ‖ LP(role) ‖ LP(SubjectPublicKeyInfo DER) ‖ i64(created-at UTC ticks)</c>.</para>
/// <para>Entry: <c>LP("consortia.ledger.entry.v1") ‖ i64(sequence) ‖ i64(timestamp UTC ticks) ‖ LP(writer id) ‖ LP(type) ‖ LP(payload) ‖ LP(previous hash)</c>.</para>
/// <para>The previous hash of entry 1 is the header hash, so entries cannot be moved to another ledger. Signatures are
/// ECDSA P-256 over these SHA-256 digests, IEEE P1363 form. Documented in <c>docs/policy.md</c>.</para>
/// </remarks>
internal static class LedgerEncoding
{
    public const int FormatVersion = 1;
    public const string HeaderDomain = "consortia.ledger.header.v1";
    public const string EntryDomain = "consortia.ledger.entry.v1";

    private static readonly byte[] s_headerDomain = Encoding.UTF8.GetBytes(HeaderDomain);
    private static readonly byte[] s_entryDomain = Encoding.UTF8.GetBytes(EntryDomain);

    public static string RoleName(LedgerRole role) => role switch
    {
        LedgerRole.Coordinator => "coordinator",
        LedgerRole.Site => "site",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown ledger role."),
    };

    public static bool TryParseRole(string text, out LedgerRole role)
    {
        switch (text)
        {
            case "coordinator":
                role = LedgerRole.Coordinator;
                return true;
            case "site":
                role = LedgerRole.Site;
                return true;
            default:
                role = default;
                return false;
        }
    }

    public static byte[] EncodeHeader(int format, ReadOnlySpan<byte> writerId, ReadOnlySpan<byte> role, ReadOnlySpan<byte> publicKey, long createdTicks)
    {
        byte[] buffer = new byte[LpLength(s_headerDomain) + 4 + LpLength(writerId) + LpLength(role) + LpLength(publicKey) + 8];
        Span<byte> span = buffer;
        int offset = WriteLp(span, 0, s_headerDomain);
        BinaryPrimitives.WriteInt32BigEndian(span[offset..], format);
        offset += 4;
        offset = WriteLp(span, offset, writerId);
        offset = WriteLp(span, offset, role);
        offset = WriteLp(span, offset, publicKey);
        BinaryPrimitives.WriteInt64BigEndian(span[offset..], createdTicks);
        return buffer;
    }

    public static byte[] HeaderHash(int format, ReadOnlySpan<byte> writerId, ReadOnlySpan<byte> role, ReadOnlySpan<byte> publicKey, long createdTicks) =>
        SHA256.HashData(EncodeHeader(format, writerId, role, publicKey, createdTicks));

    public static int EntryLength(ReadOnlySpan<byte> writerId, ReadOnlySpan<byte> type, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> previousHash) =>
        LpLength(s_entryDomain) + 8 + 8 + LpLength(writerId) + LpLength(type) + LpLength(payload) + LpLength(previousHash);

    public static int EncodeEntry(Span<byte> destination, long sequence, long ticks, ReadOnlySpan<byte> writerId, ReadOnlySpan<byte> type, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> previousHash)
    {
        int offset = WriteLp(destination, 0, s_entryDomain);
        BinaryPrimitives.WriteInt64BigEndian(destination[offset..], sequence);
        offset += 8;
        BinaryPrimitives.WriteInt64BigEndian(destination[offset..], ticks);
        offset += 8;
        offset = WriteLp(destination, offset, writerId);
        offset = WriteLp(destination, offset, type);
        offset = WriteLp(destination, offset, payload);
        return WriteLp(destination, offset, previousHash);
    }

    public static byte[] EntryHash(long sequence, long ticks, ReadOnlySpan<byte> writerId, ReadOnlySpan<byte> type, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> previousHash)
    {
        int length = EntryLength(writerId, type, payload, previousHash);
        byte[] rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int written = EncodeEntry(rented, sequence, ticks, writerId, type, payload, previousHash);
            return SHA256.HashData(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int LpLength(ReadOnlySpan<byte> value) => checked(4 + value.Length);

    private static int WriteLp(Span<byte> destination, int offset, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(destination[offset..], (uint)value.Length);
        value.CopyTo(destination[(offset + 4)..]);
        return offset + 4 + value.Length;
    }
}
