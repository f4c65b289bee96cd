using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Roster;
using Consortia.Network.Identity;
using Consortia.Network.Node;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Commands;

/// <summary>The roster's life at the command line: sites sign their entries, the coordinator collects them, a node accepts the result and its ledger is verified against the roster key.</summary>
public sealed class RosterCommandsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Node(string site, string? policy = null)
    {
        Directory.CreateDirectory(_dir.File(site));
        string config = Path.Combine(_dir.File(site), "site.yaml");
        File.WriteAllText(config, $"site: {site}\ncoordinator: https://coordinator.example.org:7443\nstate: state\ndata:\n  path: data.csv\n  site: {site}\n" + (policy is null ? string.Empty : $"policy: {policy}\n"));
        return config;
    }

    private async Task<string> Roster(params string[] sites)
    {
        string roster = _dir.File("roster.json");
        foreach (string site in sites)
        {
            string entry = _dir.File(site + ".member.json");
            (int joined, _, string joinError) = await CliRunner.RunAsync("roster", "join", "--config", Node(site), "--consortium", "heart", "--out", entry);
            Assert.True(joined == 0, joinError);
            (int added, _, string addError) = await CliRunner.RunAsync("roster", "add", "--roster", roster, "--member", entry, "--consortium", "heart");
            Assert.True(added == 0, addError);
        }

        return roster;
    }

    [Fact]
    public async Task JoinAddAccept_StoresTheRosterAndLedgersIt_ThenAuditVerifyUsesTheRosterKey()
    {
        string roster = await Roster("cleveland", "hungary");
        string config = Node("cleveland");
        string sha = ConsortiumRoster.Load(roster).Sha256;

        (int shown, string show, _) = await CliRunner.RunAsync("roster", "show", "--roster", roster, "--config", config);
        (int accepted, string output, string error) = await CliRunner.RunAsync("roster", "accept", "--config", config, "--roster", roster, "--sha256", sha);
        (int verified, string verify, _) = await CliRunner.RunAsync("audit", "verify", "--ledger", _dir.File("cleveland/state/ledger.db"), "--roster", roster);

        Assert.Equal(0, shown);
        Assert.Contains(sha, show, StringComparison.Ordinal);
        Assert.Contains("this node has accepted no roster yet", show, StringComparison.Ordinal);
        Assert.True(accepted == 0, error);
        Assert.Contains("added: cleveland, hungary", output, StringComparison.Ordinal);
        Assert.Equal(sha, new RosterStore(_dir.File("cleveland/state")).Accepted()!.Sha256);
        Assert.Equal(0, verified);
        Assert.Contains("checked against the roster of 'heart'", verify, StringComparison.Ordinal);
        Assert.Contains(LedgerReader.Read(_dir.File("cleveland/state/ledger.db")).Entries, e => e.Event is ConfigurationChangeEvent { Item: RosterStore.LedgerItem } change && change.NewSha256 == sha);
    }

    [Fact]
    public async Task Accept_WrongExpectedHash_IsRefused()
    {
        string roster = await Roster("cleveland", "hungary");

        (int code, _, string error) = await CliRunner.RunAsync("roster", "accept", "--config", Node("cleveland"), "--roster", roster, "--sha256", new string('0', 64));

        Assert.Equal(1, code);
        Assert.Contains("not accepted", error, StringComparison.Ordinal);
        Assert.Null(new RosterStore(_dir.File("cleveland/state")).Accepted());
    }

    [Fact]
    public async Task AuditVerify_LedgerReSignedUnderAnotherKey_IsReported()
    {
        string roster = await Roster("cleveland", "hungary");
        string state = _dir.File("cleveland/state");
        Assert.Equal(0, (await CliRunner.RunAsync("roster", "accept", "--config", Node("cleveland"), "--roster", roster)).Exit);

        // The ledger is rewritten under a new key, with the matching pub.pem beside it: only the roster exposes it.
        File.Delete(Path.Combine(state, "ledger.db"));
        File.Delete(Path.Combine(state, "ledger.key.pem"));
        using (EcdsaLedgerSigner forged = EcdsaLedgerSigner.LoadOrCreate(Path.Combine(state, "ledger.key.pem"), Path.Combine(state, "ledger.pub.pem")))
        using (AuditLedger ledger = AuditLedger.Open(Path.Combine(state, "ledger.db"), "cleveland", LedgerRole.Site, forged, TimeProvider.System))
        {
            ledger.Append(new ConfigurationChangeEvent("site-policy", null, new string('a', 64), "rewritten"));
        }

        (int code, string output, _) = await CliRunner.RunAsync("audit", "verify", "--ledger", Path.Combine(state, "ledger.db"), "--roster", roster);

        Assert.Equal(1, code);
        Assert.Contains("INVALID", output, StringComparison.Ordinal);
        Assert.Contains("not the supplied key", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodeInSeveralConsortia_OfferFilesTheRosterUnderItsConsortium_AndAcceptNeedsTheConsortiumNamed()
    {
        string automatic = _dir.File("automatic.yaml");
        string strict = await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "policies", "heart-disease-research.yaml"), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(automatic, strict + "\nroster:\n  accept: automatic\n", TestContext.Current.CancellationToken);
        string roster = await Roster("cleveland", "hungary");
        string config = Node("cleveland");
        await File.AppendAllTextAsync(config, $"consortia:\n  - name: heart\n    policy: {automatic}\n  - name: oncology\n    policy: {automatic}\n", TestContext.Current.CancellationToken);

        (int offered, string output, string error) = await CliRunner.RunAsync("roster", "offer", "--config", config, "--roster", roster);
        (int unnamed, _, string unnamedError) = await CliRunner.RunAsync("roster", "accept", "--config", config);
        (int nothingPending, _, string pendingError) = await CliRunner.RunAsync("roster", "accept", "--config", config, "--consortium", "oncology");

        Assert.True(offered == 0, error);
        Assert.Contains("accepted automatically", output, StringComparison.Ordinal);
        Assert.Equal("heart", new RosterStore(_dir.File("cleveland/state/consortia/heart")).Accepted()!.Consortium);
        Assert.False(File.Exists(_dir.File("cleveland/state/roster.json")));
        Assert.NotEqual(0, unnamed);
        Assert.Contains("name one with --consortium", unnamedError, StringComparison.Ordinal);
        Assert.NotEqual(0, nothingPending);
        Assert.Contains("no pending roster in", pendingError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Offer_AutomaticPolicy_AcceptsAdditionsButNotARekey()
    {
        string policy = _dir.File("policy.yaml");
        string strict = await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "policies", "heart-disease-research.yaml"), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(policy, strict + "\nroster:\n  accept: automatic\n", TestContext.Current.CancellationToken);
        string roster = await Roster("cleveland", "hungary");
        string config = Node("cleveland", policy);

        (int first, string accepted, string error) = await CliRunner.RunAsync("roster", "offer", "--config", config, "--roster", roster);
        Assert.True(first == 0, error);
        Assert.Contains("accepted automatically", accepted, StringComparison.Ordinal);

        // hungary's entry re-made under a new key (its state folder wiped): a re-key waits for an operator.
        Directory.Delete(_dir.File("hungary"), recursive: true);
        File.Delete(roster);
        string rekeyed = await Roster("cleveland", "hungary");
        config = Node("cleveland", policy);
        (int second, string pending, _) = await CliRunner.RunAsync("roster", "offer", "--config", config, "--roster", rekeyed);

        Assert.Equal(1, second);
        Assert.Contains("pending", pending, StringComparison.Ordinal);
        Assert.Contains("re-keyed: hungary", pending, StringComparison.Ordinal);
        Assert.NotNull(new RosterStore(_dir.File("cleveland/state")).Proposed());
    }

    [Fact]
    public async Task AuditVerifyEnrollment_ChecksTheLedgerAgainstTheKeyRecordedAtEnrollment_AndSiteListShowsIt()
    {
        string roster = await Roster("cleveland", "hungary");
        string state = _dir.File("cleveland/state");
        Assert.Equal(0, (await CliRunner.RunAsync("roster", "accept", "--config", Node("cleveland"), "--roster", roster)).Exit);
        string home = _dir.File("home");
        Assert.Equal(0, (await CliRunner.RunAsync("provision", "--consortium", "heart", "--out", home)).Exit);
        File.Copy(roster, Path.Combine(home, "roster.json"));
        using (CoordinatorIdentity identity = CoordinatorIdentity.Open(home, TimeProvider.System))
        using (EcdsaLedgerSigner key = EcdsaLedgerSigner.LoadOrCreate(Path.Combine(state, "ledger.key.pem"), Path.Combine(state, "ledger.pub.pem")))
        using (ECDsa tls = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            // What `node enroll --state` sends: the CSR and the roster key's signature binding the key to it.
            string csr = new CertificateRequest("CN=cleveland", tls, HashAlgorithmName.SHA256).CreateSigningRequestPem();
            (string publicKey, string signature) = RosterKeyBinding.Sign("cleveland", key, csr);
            identity.Enroll(identity.CreateToken("cleveland", TimeSpan.FromHours(1)), csr, publicKey, signature).Dispose();
        }

        (int verified, string verify, string verifyError) = await CliRunner.RunAsync("audit", "verify", "--ledger", Path.Combine(state, "ledger.db"), "--enrollment", home, "--roster", roster);
        (int listed, string list, string listError) = await CliRunner.RunAsync("site", "list", "--home", home, "--coordinator", "https://127.0.0.1:1");

        Assert.True(verified == 0, verify + verifyError);
        Assert.Contains("checked against the key recorded at enrollment", verify, StringComparison.Ordinal);
        Assert.True(listed == 0, listError);
        Assert.Contains("as in the roster", list, StringComparison.Ordinal);

        // The ledger rewritten under a new key: the enrollment record exposes it.
        File.Delete(Path.Combine(state, "ledger.db"));
        File.Delete(Path.Combine(state, "ledger.key.pem"));
        using (EcdsaLedgerSigner forged = EcdsaLedgerSigner.LoadOrCreate(Path.Combine(state, "ledger.key.pem"), Path.Combine(state, "ledger.pub.pem")))
        using (AuditLedger ledger = AuditLedger.Open(Path.Combine(state, "ledger.db"), "cleveland", LedgerRole.Site, forged, TimeProvider.System))
        {
            ledger.Append(new ConfigurationChangeEvent("site-policy", null, new string('a', 64), "rewritten"));
        }

        (int rewritten, string output, _) = await CliRunner.RunAsync("audit", "verify", "--ledger", Path.Combine(state, "ledger.db"), "--enrollment", home);

        Assert.Equal(1, rewritten);
        Assert.Contains("INVALID", output, StringComparison.Ordinal);
        Assert.Contains("enrolled with", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AuditVerifyEnrollment_RosterListingAnotherKeyThanTheEnrollmentRecord_IsReported()
    {
        string roster = await Roster("cleveland");
        string state = _dir.File("cleveland/state");
        Assert.Equal(0, (await CliRunner.RunAsync("roster", "accept", "--config", Node("cleveland"), "--roster", roster)).Exit);
        string home = _dir.File("home");
        Assert.Equal(0, (await CliRunner.RunAsync("provision", "--consortium", "heart", "--out", home)).Exit);
        using (CoordinatorIdentity identity = CoordinatorIdentity.Open(home, TimeProvider.System))
        using (EcdsaLedgerSigner other = EcdsaLedgerSigner.Generate())
        using (ECDsa tls = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            string csr = new CertificateRequest("CN=cleveland", tls, HashAlgorithmName.SHA256).CreateSigningRequestPem();
            (string publicKey, string signature) = RosterKeyBinding.Sign("cleveland", other, csr);
            identity.Enroll(identity.CreateToken("cleveland", TimeSpan.FromHours(1)), csr, publicKey, signature).Dispose();
        }

        (int code, string output, _) = await CliRunner.RunAsync("audit", "verify", "--ledger", Path.Combine(state, "ledger.db"), "--enrollment", home, "--roster", roster);

        Assert.Equal(1, code);
        Assert.Contains("KEY CHANGED WITHOUT RENEWAL", output, StringComparison.Ordinal);
    }
}
