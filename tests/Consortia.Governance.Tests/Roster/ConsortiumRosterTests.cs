using System.Text.Json.Nodes;
using Consortia.Governance.Audit;
using Consortia.Governance.Roster;
using Consortia.Governance.Tests.Support;

namespace Consortia.Governance.Tests.Roster;

public sealed class ConsortiumRosterTests : IDisposable
{
    private readonly EcdsaLedgerSigner _a = EcdsaLedgerSigner.Generate();
    private readonly EcdsaLedgerSigner _b = EcdsaLedgerSigner.Generate();
    private readonly EcdsaLedgerSigner _intruder = EcdsaLedgerSigner.Generate();

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _intruder.Dispose();
    }

    private ConsortiumRoster TwoSites() =>
        ConsortiumRoster.Empty("heart").With(ConsortiumRoster.Join("heart", "site-b", _b)).With(ConsortiumRoster.Join("heart", "site-a", _a));

    [Fact]
    public void Parse_OwnJson_RoundTripsMembersKeysAndHash()
    {
        ConsortiumRoster roster = TwoSites();

        ConsortiumRoster read = ConsortiumRoster.Parse(roster.ToJson(), "roster.json");

        Assert.Equal("heart", read.Consortium);
        Assert.Equal(["site-a", "site-b"], read.Members.Select(m => m.Site));
        Assert.Equal(_a.PublicKey, read.Find("site-a")!.PublicKey);
        Assert.Equal(roster.Sha256, read.Sha256);
    }

    [Fact]
    public void Sha256_DoesNotDependOnJoinOrder()
    {
        RosterMember a = ConsortiumRoster.Join("heart", "site-a", _a);
        RosterMember b = ConsortiumRoster.Join("heart", "site-b", _b);

        ConsortiumRoster first = ConsortiumRoster.Empty("heart").With(a).With(b);
        ConsortiumRoster second = ConsortiumRoster.Empty("heart").With(b).With(a);

        Assert.Equal(first.Sha256, second.Sha256);
        Assert.Matches("^[0-9a-f]{64}$", first.Sha256);
        Assert.NotEqual(first.Sha256, ConsortiumRoster.Empty("heart").With(a).Sha256);
    }

    [Fact]
    public void Parse_MemberKeySwappedForAnother_IsRejectedNamingTheMember()
    {
        JsonNode json = JsonNode.Parse(TwoSites().ToJson())!;
        json["members"]![1]!["public_key"] = Convert.ToBase64String(_intruder.PublicKey.SubjectPublicKeyInfo.Span);
        json.AsObject().Remove("sha256");

        RosterException error = Assert.Throws<RosterException>(() => ConsortiumRoster.Parse(json.ToJsonString(), "roster.json"));

        Assert.Contains("members[1] ('site-b')", error.Message, StringComparison.Ordinal);
        Assert.Contains("join signature does not verify", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_ChangeReSignedUnderAnotherKey_IsRejected()
    {
        // The coordinator replaces site-b's entry with its own key and signs the statement itself, naming site-b.
        RosterMember forged = ConsortiumRoster.Join("heart", "site-b", _intruder) with { PublicKey = _b.PublicKey };

        RosterException error = Assert.Throws<RosterException>(() => TwoSites().With(forged));

        Assert.Contains("'site-b' is not signed by the key it names", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_StatedHashDiffersFromContents_IsRejectedAsAltered()
    {
        JsonNode json = JsonNode.Parse(TwoSites().ToJson())!;
        json["sha256"] = new string('0', 64);

        RosterException error = Assert.Throws<RosterException>(() => ConsortiumRoster.Parse(json.ToJsonString(), "roster.json"));

        Assert.Contains("it was altered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_EntryMovedToAnotherConsortium_IsRejected()
    {
        // A join statement binds the consortium: an entry signed for 'heart' does not verify in 'lung'.
        JsonNode json = JsonNode.Parse(TwoSites().ToJson())!;
        json["consortium"] = "lung";
        json.AsObject().Remove("sha256");

        Assert.Throws<RosterException>(() => ConsortiumRoster.Parse(json.ToJsonString(), "roster.json"));
    }

    [Theory]
    [InlineData("""{"format":"consortia.roster.v0","consortium":"x","members":[]}""", "format")]
    [InlineData("""{"format":"consortia.roster.v1","members":[]}""", "consortium")]
    [InlineData("""{"format":"consortia.roster.v1","consortium":"x"}""", "members")]
    [InlineData("""{"format":"consortia.roster.v1","consortium":"x","members":[{"site":"a","public_key":"!!","join_signature":"00"}]}""", "members[0]")]
    [InlineData("""[1]""", "JSON object")]
    [InlineData("""{"format":""", "not valid JSON")]
    public void Parse_Malformed_NamesTheField(string json, string field)
    {
        RosterException error = Assert.Throws<RosterException>(() => ConsortiumRoster.Parse(json, "r.json"));

        Assert.Contains(field, error.Message, StringComparison.Ordinal);
        Assert.StartsWith("r.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DuplicateSite_IsRejected()
    {
        JsonNode json = JsonNode.Parse(TwoSites().ToJson())!;
        json["members"]!.AsArray().Add(json["members"]![0]!.DeepClone());
        json.AsObject().Remove("sha256");

        RosterException error = Assert.Throws<RosterException>(() => ConsortiumRoster.Parse(json.ToJsonString(), "roster.json"));

        Assert.Contains("listed twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Compare_ReportsAddedRemovedAndRekeyedMembers()
    {
        ConsortiumRoster accepted = TwoSites();
        using EcdsaLedgerSigner c = EcdsaLedgerSigner.Generate();
        ConsortiumRoster proposed = ConsortiumRoster.Empty("heart")
            .With(ConsortiumRoster.Join("heart", "site-a", _intruder))
            .With(ConsortiumRoster.Join("heart", "site-c", c));

        RosterChanges changes = proposed.Compare(accepted);

        Assert.Equal(["site-c"], changes.Added);
        Assert.Equal(["site-b"], changes.Removed);
        Assert.Equal(["site-a"], changes.Rekeyed);
        Assert.False(changes.OnlyAdds);
        Assert.True(TwoSites().Compare(accepted).IsEmpty);
    }

    [Fact]
    public void Find_UnknownMember_IsNull()
    {
        Assert.Null(TwoSites().Find("puppet"));
    }

    [Fact]
    public void LoadOrCreate_NewKey_IsOwnerOnlyAndReloadsTheSameKey()
    {
        using TempDirectory dir = new();
        string keyFile = dir.File("ledger.key.pem");

        using (EcdsaLedgerSigner created = EcdsaLedgerSigner.LoadOrCreate(keyFile, dir.File("ledger.pub.pem")))
        using (EcdsaLedgerSigner loaded = EcdsaLedgerSigner.LoadOrCreate(keyFile, dir.File("ledger.pub.pem")))
        {
            Assert.Equal(created.PublicKey, loaded.PublicKey);
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        }
    }

    [Fact]
    public void WriteOwnerOnly_ExistingFile_IsNeverOverwritten()
    {
        using TempDirectory dir = new();
        string planted = dir.File("ledger.key.pem");
        File.WriteAllText(planted, "planted");

        Assert.Throws<IOException>(() => EcdsaLedgerSigner.WriteOwnerOnly(planted, "secret"));
        Assert.Equal("planted", File.ReadAllText(planted));
    }
}
