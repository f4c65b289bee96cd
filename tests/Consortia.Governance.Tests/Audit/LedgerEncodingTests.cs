using System.Security.Cryptography;
using System.Text;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Tests.Support;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Governance.Tests.Audit;

public sealed class LedgerEncodingTests
{
    [Fact]
    public void EntryHash_MatchesTheDocumentedLayout()
    {
        using TempDirectory dir = new();
        using EcdsaLedgerSigner signer = EcdsaLedgerSigner.Generate();
        FakeTimeProvider time = new(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero));
        using AuditLedger ledger = AuditLedger.Open(dir.File("l.ledger"), "site-é", LedgerRole.Site, signer, time);

        LedgerEntry entry = ledger.Append(new RoundTrainedEvent("job", 1, 7));

        // An independent re-implementation of docs/policy.md "Entry hash": big-endian, u32 length prefixes.
        using MemoryStream expected = new();
        Lp(expected, Encoding.UTF8.GetBytes("consortia.ledger.entry.v1"));
        BigEndian(expected, 1L);
        BigEndian(expected, time.GetUtcNow().UtcTicks);
        Lp(expected, Encoding.UTF8.GetBytes("site-é"));
        Lp(expected, Encoding.UTF8.GetBytes("round-trained"));
        Lp(expected, Encoding.UTF8.GetBytes("""{"job_id":"job","round":1,"example_count":7,"details":null}"""));
        Lp(expected, Convert.FromHexString(ledger.Header.HeaderHash));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected.ToArray())), entry.EntryHash);
        Assert.True(signer.PublicKey.VerifyHash(Convert.FromHexString(entry.EntryHash), Convert.FromHexString(entry.Signature)));
    }

    [Fact]
    public void HeaderHash_MatchesTheDocumentedLayout()
    {
        using TempDirectory dir = new();
        using EcdsaLedgerSigner signer = EcdsaLedgerSigner.Generate();
        DateTimeOffset created = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        using AuditLedger ledger = AuditLedger.Open(dir.File("l.ledger"), "coord", LedgerRole.Coordinator, signer, new FakeTimeProvider(created));

        using MemoryStream expected = new();
        Lp(expected, Encoding.UTF8.GetBytes("consortia.ledger.header.v1"));
        expected.Write([0, 0, 0, 1]);
        Lp(expected, Encoding.UTF8.GetBytes("coord"));
        Lp(expected, Encoding.UTF8.GetBytes("coordinator"));
        Lp(expected, signer.PublicKey.SubjectPublicKeyInfo.ToArray());
        BigEndian(expected, created.UtcTicks);

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(expected.ToArray())), ledger.Header.HeaderHash);
    }

    [Fact]
    public void Payload_IsStoredAsTextReadableWithSql()
    {
        using TempDirectory dir = new();
        using EcdsaLedgerSigner signer = EcdsaLedgerSigner.Generate();
        using (AuditLedger ledger = AuditLedger.Open(dir.File("l.ledger"), "s", LedgerRole.Site, signer, new FakeTimeProvider()))
        {
            ledger.Append(new ModelReleasedEvent("job", Sha256Hex.OfText("m"), "registry"));
        }

        using SqliteConnection connection = new($"Data Source={dir.File("l.ledger")};Mode=ReadOnly;Pooling=False");
        connection.Open();

        Assert.Equal("model-released", LedgerTamper.Scalar<string>(connection, "SELECT type FROM ledger_entries"));
        Assert.Contains("\"destination\":\"registry\"", LedgerTamper.Scalar<string>(connection, "SELECT payload FROM ledger_entries"), StringComparison.Ordinal);
    }

    private static void Lp(Stream stream, byte[] value)
    {
        stream.Write([(byte)(value.Length >> 24), (byte)(value.Length >> 16), (byte)(value.Length >> 8), (byte)value.Length]);
        stream.Write(value);
    }

    private static void BigEndian(Stream stream, long value)
    {
        for (int shift = 56; shift >= 0; shift -= 8)
        {
            stream.WriteByte((byte)(value >> shift));
        }
    }
}
