using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Governance.Tests.Support;
using Consortia.Governance.Verification;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Governance.Tests.Audit;

public sealed class AuditLedgerTests : IDisposable
{
    private static readonly DateTimeOffset s_start = new(2025, 3, 1, 9, 30, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();
    private readonly EcdsaLedgerSigner _signer = EcdsaLedgerSigner.Generate();
    private readonly FakeTimeProvider _time = new(s_start);

    public void Dispose()
    {
        _signer.Dispose();
        _dir.Dispose();
    }

    private AuditLedger CreateSut(string name = "site.ledger") =>
        AuditLedger.Open(_dir.File(name), "cleveland", LedgerRole.Site, _signer, _time);

    [Fact]
    public void Open_NewFile_WritesSignedHeaderWithWriterRoleAndKey()
    {
        using AuditLedger sut = CreateSut();

        Assert.Equal("cleveland", sut.Header.WriterId);
        Assert.Equal(LedgerRole.Site, sut.Header.Role);
        Assert.Equal(_signer.PublicKey, sut.Header.PublicKey);
        Assert.Equal(s_start, sut.Header.CreatedAt);
        Assert.Equal(0, sut.LastSequence);
        Assert.Equal(sut.Header.HeaderHash, sut.HeadHash);
    }

    [Fact]
    public void Append_Entries_AreNumberedChainedAndTimestampedFromTheInjectedClock()
    {
        using AuditLedger sut = CreateSut();

        LedgerEntry first = sut.Append(new RoundTrainedEvent("job", 1, 100));
        _time.Advance(TimeSpan.FromMinutes(5));
        LedgerEntry second = sut.Append(new UpdateSentEvent("job", 1, Sha256Hex.OfText("u"), 2048, UpdateKind.Masked));

        Assert.Equal(1, first.Sequence);
        Assert.Equal(2, second.Sequence);
        Assert.Equal(sut.Header.HeaderHash, first.PreviousHash);
        Assert.Equal(first.EntryHash, second.PreviousHash);
        Assert.Equal(s_start, first.Timestamp);
        Assert.Equal(s_start.AddMinutes(5), second.Timestamp);
        Assert.Equal(second.EntryHash, sut.HeadHash);
        Assert.Equal("cleveland", second.WriterId);
        Assert.Equal(128, second.Signature.Length);
    }

    [Fact]
    public void Append_ThenRead_ReturnsTheSameEntries()
    {
        using AuditLedger sut = CreateSut();
        LedgerEntry written = sut.Append(new JobReceivedEvent("job", Sha256Hex.OfText("m"), "heart", "alice"));

        LedgerContents contents = LedgerReader.Read(sut.Path);

        LedgerEntry read = Assert.Single(contents.Entries);
        Assert.Equal(written, read with { Event = written.Event });
        Assert.Equal(written.Event, read.Event);
        Assert.Equal(sut.HeadHash, contents.HeadHash);
    }

    [Fact]
    public void RunId_IsWrittenBesideTheJob_ReadBack_AndAbsentWhenUnset()
    {
        using AuditLedger sut = CreateSut();
        LedgerEntry withRun = sut.Append(new RoundTrainedEvent("job", 3, 120) { RunId = "0193abc" });
        LedgerEntry without = sut.Append(new RoundTrainedEvent("job", 3, 120));

        LedgerContents contents = LedgerReader.Read(sut.Path);

        Assert.Equal("0193abc", contents.Entries[0].Event.RunId);
        Assert.Equal(withRun.Event, contents.Entries[0].Event);
        Assert.Contains("\"run_id\":\"0193abc\"", withRun.Payload, StringComparison.Ordinal);
        Assert.Null(contents.Entries[1].Event.RunId);
        Assert.DoesNotContain("run_id", without.Payload, StringComparison.Ordinal); // entries without a run keep their old bytes
        Assert.True(Consortia.Governance.Verification.LedgerVerifier.Verify(sut.Path).IsValid);
    }

    [Fact]
    public void Open_ExistingLedger_ContinuesTheChain()
    {
        string path;
        using (AuditLedger first = CreateSut())
        {
            first.Append(new RoundTrainedEvent("job", 1, 10));
            first.Append(new RoundTrainedEvent("job", 2, 10));
            path = first.Path;
        }

        using AuditLedger reopened = CreateSut();
        LedgerEntry third = reopened.Append(new RoundTrainedEvent("job", 3, 10));

        Assert.Equal(3, third.Sequence);
        LedgerVerification verification = LedgerVerifier.Verify(path, _signer.PublicKey);
        Assert.True(verification.IsValid, verification.Problem?.ToString());
        Assert.Equal(3, verification.EntryCount);
    }

    [Fact]
    public void Open_LedgerOfAnotherWriter_Throws()
    {
        using (CreateSut())
        {
        }

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(
            () => AuditLedger.Open(_dir.File("site.ledger"), "budapest", LedgerRole.Site, _signer, _time));

        Assert.Contains("cleveland", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_LedgerWithAnotherKey_Throws()
    {
        using (CreateSut())
        {
        }

        using EcdsaLedgerSigner other = EcdsaLedgerSigner.Generate();

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(
            () => AuditLedger.Open(_dir.File("site.ledger"), "cleveland", LedgerRole.Site, other, _time));

        Assert.Contains(other.PublicKey.Fingerprint, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_SqliteFileThatIsNotALedger_Throws()
    {
        string path = _dir.File("other.db");
        using (SqliteConnection connection = new($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            LedgerTamper.Execute(connection, "CREATE TABLE patients (name TEXT)");
        }

        Assert.Throws<LedgerFormatException>(() => AuditLedger.Open(path, "cleveland", LedgerRole.Site, _signer, _time));
    }

    [Theory]
    [InlineData("not-a-hash")]
    [InlineData("ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789")]
    public void Append_MalformedHash_ThrowsNamingTheFieldAndWritesNothing(string hash)
    {
        using AuditLedger sut = CreateSut();

        ArgumentException error = Assert.Throws<ArgumentException>(() => sut.Append(new UpdateSentEvent("job", 1, hash, 1, UpdateKind.Plain)));

        Assert.Contains("update_sha256", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, sut.LastSequence);
        Assert.Empty(sut.ReadEntries());
    }

    [Fact]
    public void Append_InvalidDetailsJson_Throws()
    {
        using AuditLedger sut = CreateSut();

        Assert.Throws<ArgumentException>(() => sut.Append(new RoundTrainedEvent("job", 1, 1) { Details = "{not json" }));
        Assert.Throws<ArgumentException>(() => sut.Append(new RoundTrainedEvent("job", 1, 1) { Details = """{"a":1,"a":2}""" }));
    }

    [Fact]
    public void Append_Details_StoredCanonically()
    {
        using AuditLedger sut = CreateSut();

        LedgerEntry entry = sut.Append(new RoundTrainedEvent("job", 1, 1) { Details = """ { "z": [1, 2.50, {"b": true, "a": null}], "a": "é<" } """ });

        Assert.EndsWith("""
            "details":{"a":"\u00E9\u003C","z":[1,2.50,{"a":null,"b":true}]}}
            """, entry.Payload, StringComparison.Ordinal);
    }

    [Fact]
    public void Append_EveryEventType_RoundTripsThroughThePayload()
    {
        using AuditLedger sut = CreateSut();
        string h = Sha256Hex.OfText("x");
        LedgerEvent[] events =
        [
            new JobReceivedEvent("job", h, "heart", "alice"),
            new PolicyDecisionEvent("job", null, false, 3, h, [new RuleResult(PolicyRules.Columns, false, "reads 'ssn'"), new RuleResult(PolicyRules.Owner, true, "ok")]),
            new RoundTrainedEvent("job", 2, 321),
            new UpdateSentEvent("job", 2, h, 4096, UpdateKind.Plain),
            new PrivacyChargeEvent("job", 2, DpMode.SampleLevel, 1.25, 1e-6) { LifetimeEpsilon = 3.5, LifetimeBudget = 10 },
            new AggregateReceivedEvent("job", 2, h, 5),
            new ModelReleasedEvent("job", h, "registry://heart/1"),
            new ConfigurationChangeEvent("site-policy", null, h, "policy version 1 installed"),
            new RoundCompletedEvent("job", 2, [new SiteUpdateHash("a", h), new SiteUpdateHash("b", h)]) { AggregateSha256 = h, Details = "[1]" },
            new RedTeamReportEvent("redteam.yaml", h, null, "epsilons=1,inf; shadows=8; coordinator=no"),
            new FairnessAuditEvent("job", h, ["site", "sex"], FairnessRelease.Masked, h, 4, ["sex=female"]) { RunId = "run-1" },
        ];

        foreach (LedgerEvent e in events)
        {
            sut.Append(e);
        }

        IReadOnlyList<LedgerEntry> entries = sut.ReadEntries();
        Assert.Equal(events.Select(e => e.Type), entries.Select(e => e.Type));
        Assert.Equal(Enum.GetValues<LedgerEventType>(), entries.Select(e => e.Type));
        foreach (LedgerEntry entry in entries)
        {
            Assert.Equal(entry.Payload, LedgerEventCodec.Encode(entry.Event));
        }

        PolicyDecisionEvent decision = Assert.IsType<PolicyDecisionEvent>(entries[1].Event);
        Assert.Equal(["columns", "owner"], decision.Rules.Select(r => r.Rule));
        Assert.Equal(3.5, Assert.IsType<PrivacyChargeEvent>(entries[4].Event).LifetimeEpsilon);
        Assert.Equal("b", Assert.IsType<RoundCompletedEvent>(entries[8].Event).Updates[1].SiteId);
        Assert.Equal("epsilons=1,inf; shadows=8; coordinator=no", Assert.IsType<RedTeamReportEvent>(entries[9].Event).Settings);
        FairnessAuditEvent audit = Assert.IsType<FairnessAuditEvent>(entries[10].Event);
        Assert.Equal((FairnessRelease.Masked, 4, "run-1"), (audit.Release, audit.Sites, audit.RunId));
        Assert.Equal(["site", "sex"], audit.Attributes);
        Assert.Equal(["sex=female"], audit.Withheld);
    }

    [Theory]
    [InlineData("UPDATE ledger_entries SET payload = '{}'")]
    [InlineData("DELETE FROM ledger_entries")]
    [InlineData("UPDATE ledger_header SET writer_id = 'x'")]
    [InlineData("DELETE FROM ledger_header")]
    [InlineData("INSERT INTO ledger_header SELECT * FROM ledger_header")]
    public void File_UpdateDeleteOrSecondHeader_RefusedByTheDatabase(string sql)
    {
        using AuditLedger sut = CreateSut();
        sut.Append(new RoundTrainedEvent("job", 1, 1));
        using SqliteConnection connection = new($"Data Source={sut.Path};Pooling=False");
        connection.Open();

        SqliteException error = Assert.Throws<SqliteException>(() => LedgerTamper.Execute(connection, sql));

        Assert.Contains("ledger", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Append_FromManyThreads_KeepsOneValidChain()
    {
        using AuditLedger sut = CreateSut();

        Parallel.For(0, 40, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => sut.Append(new RoundTrainedEvent("job", i + 1, i)));

        LedgerVerification verification = LedgerVerifier.Verify(sut.Path, _signer.PublicKey);
        Assert.True(verification.IsValid, verification.Problem?.ToString());
        Assert.Equal(40, verification.EntryCount);
    }

    [Fact]
    public void Append_TwoInstancesOnOneFile_Serialise()
    {
        using AuditLedger a = CreateSut();
        using AuditLedger b = CreateSut();

        a.Append(new RoundTrainedEvent("job", 1, 1));
        b.Append(new RoundTrainedEvent("job", 2, 1));
        LedgerEntry last = a.Append(new RoundTrainedEvent("job", 3, 1));

        Assert.Equal(3, last.Sequence);
        Assert.True(LedgerVerifier.Verify(a.Path).IsValid);
    }
}
