using System.Text;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Tests.Support;
using Consortia.Governance.Verification;
using FsCheck;
using FsCheck.Xunit;
using Microsoft.Data.Sqlite;

namespace Consortia.Governance.Tests.Verification;

public sealed class LedgerVerifierTests : IClassFixture<VerifierFixture>, IDisposable
{
    private readonly VerifierFixture _fixture;
    private readonly TempDirectory _dir = new();

    public LedgerVerifierTests(VerifierFixture fixture)
    {
        _fixture = fixture;
    }

    public void Dispose() => _dir.Dispose();

    private string CopyOfSiteLedger()
    {
        string path = _dir.File(Guid.NewGuid().ToString("N") + ".ledger");
        File.Copy(_fixture.SitePath, path);
        return path;
    }

    [Fact]
    public void Verify_UntouchedLedger_ValidWithHeadHashAndCount()
    {
        LedgerContents contents = LedgerReader.Read(_fixture.SitePath);

        LedgerVerification result = LedgerVerifier.Verify(_fixture.SitePath, _fixture.Scenario.Keys["cleveland"]);

        Assert.True(result.IsValid, result.Problem?.ToString());
        Assert.Null(result.Problem);
        Assert.Equal(contents.Entries.Count, result.EntryCount);
        Assert.Equal(contents.HeadHash, result.HeadHash);
        Assert.Equal("cleveland", result.WriterId);
        Assert.Equal(LedgerRole.Site, result.Role);
        Assert.True(result.KeySuppliedExternally);
        Assert.Equal(_fixture.Scenario.Keys["cleveland"].Fingerprint, result.KeyFingerprint);
    }

    [Property(MaxTest = 100, Replay = "(424242,1013904243)")]
    public void Verify_AnyByteOfAnyRowFlipped_Invalid(NonNegativeInt row, NonNegativeInt column, NonNegativeInt byteIndex, NonNegativeInt mask)
    {
        string path = CopyOfSiteLedger();
        long entries = LedgerTamper.Count(path, "ledger_entries");
        long rowIndex = row.Get % (entries + 1);
        string table = rowIndex == 0 ? "ledger_header" : "ledger_entries";
        string changed = LedgerTamper.FlipByte(path, table, Math.Max(0, rowIndex - 1), column.Get, byteIndex.Get, (byte)((mask.Get % 255) + 1));

        LedgerVerification result = LedgerVerifier.Verify(path);

        Assert.False(result.IsValid, $"flipping {table}.{changed} of row {rowIndex} went undetected");
        Assert.NotNull(result.Problem);
        if (table == "ledger_entries")
        {
            // The first bad entry is the tampered one (a later link may also break, but it is not first).
            Assert.Equal(rowIndex, result.Problem.Position);
            Assert.Equal(rowIndex - 1, result.EntryCount);
        }
        else
        {
            Assert.Null(result.Problem.Position);
        }
    }

    [Fact]
    public void Verify_EveryColumnOfFirstAndLastEntryFlipped_Invalid()
    {
        long entries = LedgerTamper.Count(_fixture.SitePath, "ledger_entries");
        foreach (long rowIndex in new[] { 0L, entries - 1 })
        {
            for (int column = 0; column < LedgerTamper.EntryColumns.Length; column++)
            {
                string path = CopyOfSiteLedger();
                LedgerTamper.FlipByte(path, "ledger_entries", rowIndex, column, byteIndex: 3, mask: 0x01);

                LedgerVerification result = LedgerVerifier.Verify(path);

                Assert.False(result.IsValid, $"{LedgerTamper.EntryColumns[column]} of row {rowIndex}");
                Assert.Equal(rowIndex + 1, result.Problem!.Position);
            }
        }
    }

    [Fact]
    public void Verify_EveryHeaderColumnFlipped_Invalid()
    {
        for (int column = 0; column < LedgerTamper.HeaderColumns.Length; column++)
        {
            string path = CopyOfSiteLedger();
            LedgerTamper.FlipByte(path, "ledger_header", 0, column, byteIndex: 1, mask: 0x40);

            LedgerVerification result = LedgerVerifier.Verify(path);

            Assert.False(result.IsValid, LedgerTamper.HeaderColumns[column]);
        }
    }

    [Fact]
    public void Verify_MiddleRowDeleted_FirstBadEntryIsTheOneAfterTheGap()
    {
        string path = CopyOfSiteLedger();
        LedgerTamper.Execute(path, "DELETE FROM ledger_entries WHERE seq = 4");

        LedgerVerification result = LedgerVerifier.Verify(path);

        Assert.False(result.IsValid);
        Assert.Equal(4, result.Problem!.Position);
        Assert.Equal(5, result.Problem.Sequence);
        Assert.Contains("sequence number 5 where 4 was expected", result.Problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_MiddleRowDeletedAndRenumbered_BrokenLinkDetected()
    {
        string path = CopyOfSiteLedger();
        LedgerTamper.Execute(path, "DELETE FROM ledger_entries WHERE seq = 4; UPDATE ledger_entries SET seq = seq - 1 WHERE seq > 4;");

        LedgerVerification result = LedgerVerifier.Verify(path);

        Assert.False(result.IsValid);
        Assert.Equal(4, result.Problem!.Position);
    }

    [Fact]
    public void Verify_LastRowDeleted_ValidButTheHeadHashChanges()
    {
        // Truncation leaves a valid shorter chain; it is caught by comparing with a recorded head (documented).
        string path = CopyOfSiteLedger();
        LedgerVerification before = LedgerVerifier.Verify(path);
        LedgerTamper.Execute(path, "DELETE FROM ledger_entries WHERE rowid = (SELECT MAX(rowid) FROM ledger_entries)");

        LedgerVerification after = LedgerVerifier.Verify(path);

        Assert.True(after.IsValid);
        Assert.Equal(before.EntryCount - 1, after.EntryCount);
        Assert.NotEqual(before.HeadHash, after.HeadHash);
    }

    [Fact]
    public void Verify_RowsPhysicallyReordered_Invalid()
    {
        string path = CopyOfSiteLedger();
        LedgerTamper.Execute(path, """
            CREATE TABLE copy AS SELECT * FROM ledger_entries ORDER BY rowid;
            DELETE FROM ledger_entries;
            INSERT INTO ledger_entries SELECT * FROM copy WHERE seq <= 2;
            INSERT INTO ledger_entries SELECT * FROM copy WHERE seq = 4;
            INSERT INTO ledger_entries SELECT * FROM copy WHERE seq = 3;
            INSERT INTO ledger_entries SELECT * FROM copy WHERE seq > 4 ORDER BY seq;
            DROP TABLE copy;
            """);

        LedgerVerification result = LedgerVerifier.Verify(path);

        Assert.False(result.IsValid);
        Assert.Equal(3, result.Problem!.Position);
        Assert.Equal(4, result.Problem.Sequence);
    }

    [Fact]
    public void Verify_ContentsOfTwoRowsSwappedKeepingSequenceNumbers_Invalid()
    {
        string path = CopyOfSiteLedger();
        LedgerTamper.Execute(path, """
            CREATE TABLE copy AS SELECT * FROM ledger_entries;
            UPDATE ledger_entries SET (recorded_at, type, payload, previous_hash, entry_hash, signature) =
                (SELECT recorded_at, type, payload, previous_hash, entry_hash, signature FROM copy WHERE copy.seq = 7 - ledger_entries.seq)
                WHERE seq IN (3, 4);
            DROP TABLE copy;
            """);

        LedgerVerification result = LedgerVerifier.Verify(path);

        Assert.False(result.IsValid);
        Assert.Equal(3, result.Problem!.Position);
    }

    [Fact]
    public void Verify_EntriesResignedWithAnotherKey_InvalidEvenWithoutAnExternalKey()
    {
        string path = CopyOfSiteLedger();
        using EcdsaLedgerSigner attacker = EcdsaLedgerSigner.Generate();
        using (SqliteConnection connection = LedgerTamper.OpenUnprotected(path))
        {
            List<(long RowId, byte[] Hash)> rows = [];
            using (SqliteCommand select = connection.CreateCommand())
            {
                select.CommandText = "SELECT rowid, entry_hash FROM ledger_entries";
                using SqliteDataReader reader = select.ExecuteReader();
                while (reader.Read())
                {
                    rows.Add((reader.GetInt64(0), (byte[])reader.GetValue(1)));
                }
            }

            foreach ((long rowId, byte[] hash) in rows)
            {
                using SqliteCommand update = connection.CreateCommand();
                update.CommandText = "UPDATE ledger_entries SET signature = $s WHERE rowid = $r";
                update.Parameters.AddWithValue("$s", attacker.SignHash(hash));
                update.Parameters.AddWithValue("$r", rowId);
                update.ExecuteNonQuery();
            }
        }

        LedgerVerification result = LedgerVerifier.Verify(path);

        Assert.False(result.IsValid);
        Assert.Equal(1, result.Problem!.Position);
        Assert.Contains("signature", result.Problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_LedgerRewrittenWholesaleWithAnotherKey_DetectedOnlyWithTheWritersKey()
    {
        // A forger copies every event into a new ledger under their own key: self-consistent, but not the site's identity.
        LedgerContents original = LedgerReader.Read(_fixture.SitePath);
        string forged = _dir.File("forged.ledger");
        using EcdsaLedgerSigner attacker = EcdsaLedgerSigner.Generate();
        using (AuditLedger ledger = AuditLedger.Open(forged, "cleveland", LedgerRole.Site, attacker, new Microsoft.Extensions.Time.Testing.FakeTimeProvider()))
        {
            foreach (LedgerEntry entry in original.Entries)
            {
                ledger.Append(entry.Event);
            }
        }

        LedgerVerification withHeaderKey = LedgerVerifier.Verify(forged);
        LedgerVerification withSiteKey = LedgerVerifier.Verify(forged, _fixture.Scenario.Keys["cleveland"]);

        Assert.True(withHeaderKey.IsValid);
        Assert.False(withHeaderKey.KeySuppliedExternally);
        Assert.False(withSiteKey.IsValid);
        Assert.Null(withSiteKey.Problem!.Position);
        Assert.Contains("not the supplied key", withSiteKey.Problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_EntryFromAnotherLedgerSpliced_Invalid()
    {
        string path = CopyOfSiteLedger();
        string other = _fixture.Scenario.SitePaths["budapest"];
        LedgerTamper.Execute(path, $"""
            ATTACH DATABASE '{other}' AS other;
            DELETE FROM ledger_entries WHERE seq = 2;
            INSERT INTO ledger_entries SELECT * FROM other.ledger_entries WHERE seq = 2;
            """);

        LedgerVerification result = LedgerVerifier.Verify(path);

        Assert.False(result.IsValid);
    }

    [Fact]
    public void Verify_MissingFile_InvalidWithReason()
    {
        LedgerVerification result = LedgerVerifier.Verify(_dir.File("absent.ledger"));

        Assert.False(result.IsValid);
        Assert.Contains("does not exist", result.Problem!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_FileThatIsNotSqlite_InvalidWithReason()
    {
        string path = _dir.Write("garbage.ledger", new string('x', 5000));

        LedgerVerification result = LedgerVerifier.Verify(path);

        Assert.False(result.IsValid);
        Assert.Contains("SQLite", result.Problem!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_SqliteWithoutLedgerTables_InvalidWithReason()
    {
        string path = _dir.File("empty.db");
        using (SqliteConnection connection = new($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            LedgerTamper.Execute(connection, "CREATE TABLE t (x INTEGER)");
        }

        LedgerVerification result = LedgerVerifier.Verify(path);

        Assert.False(result.IsValid);
        Assert.Contains("not an audit ledger", result.Problem!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Verify_ColumnTypeChanged_InvalidWithoutCrashing()
    {
        string path = CopyOfSiteLedger();
        LedgerTamper.Execute(path, "UPDATE ledger_entries SET recorded_at = 'yesterday' WHERE seq = 2");

        LedgerVerification result = LedgerVerifier.Verify(path);

        Assert.False(result.IsValid);
        Assert.Equal(2, result.Problem!.Position);
    }

    [Fact]
    public void Verify_SignedPayloadThatDoesNotDecode_Invalid()
    {
        // Written with the real key through the encoding but with a payload our API never produces.
        string path = _dir.File("odd.ledger");
        using EcdsaLedgerSigner signer = EcdsaLedgerSigner.Generate();
        using (AuditLedger ledger = AuditLedger.Open(path, "s", LedgerRole.Site, signer, new Microsoft.Extensions.Time.Testing.FakeTimeProvider()))
        {
            ledger.Append(new RoundTrainedEvent("job", 1, 1));
        }

        using (SqliteConnection connection = LedgerTamper.OpenUnprotected(path))
        {
            byte[] previous = LedgerTamper.Scalar<byte[]>(connection, "SELECT entry_hash FROM ledger_entries WHERE seq = 1");
            byte[] payload = Encoding.UTF8.GetBytes("{\"job_id\":\"job\"}");
            byte[] hash = Consortia.Governance.Audit.LedgerEncoding.EntryHash(2, 0, "s"u8, "round-trained"u8, payload, previous);
            using SqliteCommand insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO ledger_entries VALUES (2, 0, 's', 'round-trained', $p, $prev, $h, $sig)";
            insert.Parameters.AddWithValue("$p", "{\"job_id\":\"job\"}");
            insert.Parameters.AddWithValue("$prev", previous);
            insert.Parameters.AddWithValue("$h", hash);
            insert.Parameters.AddWithValue("$sig", signer.SignHash(hash));
            insert.ExecuteNonQuery();
        }

        LedgerVerification result = LedgerVerifier.Verify(path);

        Assert.False(result.IsValid);
        Assert.Equal(2, result.Problem!.Position);
        Assert.Contains("does not decode", result.Problem.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_ValidLedger_DecodesEveryEntry()
    {
        LedgerContents contents = LedgerReader.Read(_fixture.SitePath);

        Assert.Contains(contents.Entries, e => e.Event is UpdateSentEvent);
        Assert.Equal(Enumerable.Range(1, contents.Entries.Count).Select(i => (long)i), contents.Entries.Select(e => e.Sequence));
    }
}
