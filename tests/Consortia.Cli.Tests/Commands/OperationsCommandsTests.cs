using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Consortia.Network.Identity;
using Consortia.Network.Node;

namespace Consortia.Cli.Tests.Commands;

/// <summary>
/// The day-two commands as an operator types them: <c>token list|revoke</c>, <c>site revoke --serial</c>,
/// <c>admin-token rotate</c>, and the site officer's <c>node jobs|approve|reject</c>.
/// </summary>
public sealed class OperationsCommandsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("consortia-cli-ops-").FullName;

    [Fact]
    public async Task TokenList_ShowsStatesWithoutSecrets_AndTokenRevoke_RefusesItsEnrollment()
    {
        string home = await ProvisionAsync();
        (_, string usedToken, _) = await CliRunner.RunAsync("token", "create", "--site", "hospital-a", "--home", home);
        (_, string openToken, _) = await CliRunner.RunAsync("token", "create", "--site", "hospital-b", "--home", home);
        using (CoordinatorIdentity identity = CoordinatorIdentity.Open(home, TimeProvider.System))
        {
            identity.Enroll(usedToken.Trim(), SigningRequest("hospital-a")).Dispose();
        }

        (int exit, string list, string error) = await CliRunner.RunAsync("token", "list", "--home", home);
        Assert.True(exit == 0, error);
        Assert.Matches(@"(?m)^\S+\s+hospital-a\s+.*\bused\s*$", list);
        Assert.Matches(@"(?m)^\S+\s+hospital-b\s+.*\bopen\s*$", list);
        foreach (string token in new[] { usedToken, openToken })
        {
            Assert.DoesNotContain(EnrollmentToken.Parse(token.Trim()).Secret, list, StringComparison.Ordinal); // never a secret
        }

        string id = list.Split('\n').Single(l => l.Contains("hospital-b", StringComparison.Ordinal)).Split(' ')[0];
        (exit, string revoked, error) = await CliRunner.RunAsync("token", "revoke", id, "--home", home);
        Assert.True(exit == 0, error);
        Assert.Contains($"revoked token {id} of site hospital-b", revoked, StringComparison.Ordinal);
        (_, list, _) = await CliRunner.RunAsync("token", "list", "--home", home);
        Assert.Matches(@"(?m)^\S+\s+hospital-b\s+.*\brevoked\s*$", list);
        using (CoordinatorIdentity identity = CoordinatorIdentity.Open(home, TimeProvider.System))
        {
            Assert.Throws<EnrollmentRefusedException>(() => identity.Enroll(openToken.Trim(), SigningRequest("hospital-b")));
        }

        (exit, _, error) = await CliRunner.RunAsync("token", "revoke", "000000000000", "--home", home);
        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SiteRevokeBySerial_RevokesThatCertificateOnly_AndRefusesAnotherSitesSerial()
    {
        string home = await ProvisionAsync();
        string[] serials = new string[3];
        using (CoordinatorIdentity identity = CoordinatorIdentity.Open(home, TimeProvider.System))
        {
            for (int i = 0; i < serials.Length; i++)
            {
                string site = i < 2 ? "hospital-a" : "hospital-b";
                using X509Certificate2 issued = identity.Enroll(identity.CreateToken(site, TimeSpan.FromHours(1)), SigningRequest(site));
                serials[i] = ConsortiumPki.Serial(issued);
            }
        }

        (int exit, string output, string error) = await CliRunner.RunAsync("site", "revoke", "hospital-a", "--serial", serials[0], "--home", home);
        Assert.True(exit == 0, error);
        Assert.Contains($"revoked certificate {serials[0]} of site hospital-a", output, StringComparison.OrdinalIgnoreCase);
        (_, string list, _) = await CliRunner.RunAsync("site", "list", "--home", home);
        Assert.Matches($@"(?im)^hospital-a\s+{serials[0]}\s+\S+ \S+\s+revoked", list);
        Assert.Matches($@"(?im)^hospital-a\s+{serials[1]}\s+\S+ \S+\s+active", list);

        (exit, _, error) = await CliRunner.RunAsync("site", "revoke", "hospital-a", "--serial", serials[2], "--home", home);
        Assert.Equal(1, exit);
        Assert.Contains("belongs to site 'hospital-b'", error, StringComparison.Ordinal);
        (_, list, _) = await CliRunner.RunAsync("site", "list", "--home", home);
        Assert.Matches($@"(?im)^hospital-b\s+{serials[2]}\s+\S+ \S+\s+active", list);
    }

    [Fact]
    public async Task AdminTokenRotate_ReplacesTheCredential()
    {
        string home = await ProvisionAsync();
        string path = Path.Combine(home, IdentityFiles.AdminToken);
        string before = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);

        (int exit, string output, string error) = await CliRunner.RunAsync("admin-token", "rotate", "--home", home);

        Assert.True(exit == 0, error);
        Assert.Contains("rotated the admin credential", output, StringComparison.Ordinal);
        string after = await File.ReadAllTextAsync(path, TestContext.Current.CancellationToken);
        Assert.NotEqual(before.Trim(), after.Trim());
        Assert.True(after.Trim().Length >= 32, "a new credential of the same strength");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public async Task NodeJobsApproveReject_ShowAndDecideWaitingJobs_Once()
    {
        string config = Path.Combine(_dir, "site.yaml");
        await File.WriteAllTextAsync(config, "site: hospital-a\ncoordinator: https://127.0.0.1:7443\ndata:\n  path: data\n  site: hospital-a\n", TestContext.Current.CancellationToken);
        JobApprovals book = new(Path.Combine(_dir, "state"));
        DateTimeOffset at = new(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);
        book.Request(new ApprovalRecord("01a24f95aaaa", "heart-fedavg", "alice@lead.example.org", "heart-consortium", new string('a', 64), at, ApprovalState.Pending));
        book.Request(new ApprovalRecord("01a24f95bbbb", "heart-dp", "bob@lead.example.org", "heart-consortium", new string('b', 64), at, ApprovalState.Pending));

        (int exit, string jobs, string error) = await CliRunner.RunAsync("node", "jobs", "--config", config);
        Assert.True(exit == 0, error);
        Assert.Matches(@"(?m)^01a24f95aaaa\s+pending\s+heart-fedavg\s+alice@lead.example.org\s+2026-12-07 08:00Z\s+-", jobs);
        Assert.Matches(@"(?m)^01a24f95bbbb\s+pending\s+heart-dp\s", jobs);

        (exit, string approved, error) = await CliRunner.RunAsync("node", "approve", "01a24f95aaaa", "--note", "ethics ref 2026-17", "--config", config);
        Assert.True(exit == 0, error);
        Assert.Contains("approved job 01a24f95aaaa (heart-fedavg", approved, StringComparison.Ordinal);

        (exit, _, error) = await CliRunner.RunAsync("node", "reject", "01a24f95bbbb", "--config", config);
        Assert.NotEqual(0, exit); // --reason is required (a parse error)
        Assert.Contains("--reason", error, StringComparison.Ordinal);
        Assert.Equal(ApprovalState.Pending, book.Find("01a24f95bbbb")!.State);
        (exit, string rejected, error) = await CliRunner.RunAsync("node", "reject", "01a24f95bbbb", "--reason", "no DP jobs this quarter", "--config", config);
        Assert.True(exit == 0, error);
        Assert.Contains("rejected job 01a24f95bbbb", rejected, StringComparison.Ordinal);

        (_, jobs, _) = await CliRunner.RunAsync("node", "jobs", "--config", config);
        Assert.Matches(@"(?m)^01a24f95aaaa\s+approved\s+.*by \S+: ethics ref 2026-17", jobs);
        Assert.Matches(@"(?m)^01a24f95bbbb\s+rejected\s+.*: no DP jobs this quarter", jobs);
        Assert.Equal(ApprovalState.Rejected, book.Find("01a24f95bbbb")!.State);

        // A decision is final, and an unknown run is named.
        (exit, _, error) = await CliRunner.RunAsync("node", "approve", "01a24f95bbbb", "--config", config);
        Assert.Equal(1, exit);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
        Assert.Equal(ApprovalState.Rejected, book.Find("01a24f95bbbb")!.State);
        (exit, _, error) = await CliRunner.RunAsync("node", "approve", "01a24f95cccc", "--config", config);
        Assert.Equal(1, exit);
        Assert.Contains("01a24f95cccc", error, StringComparison.Ordinal);

        (exit, _, error) = await CliRunner.RunAsync("node", "jobs", "--config", Path.Combine(_dir, "missing.yaml"));
        Assert.Equal(2, exit);
        Assert.Contains("missing.yaml", error, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task<string> ProvisionAsync()
    {
        string home = Path.Combine(_dir, "home");
        (int exit, _, string error) = await CliRunner.RunAsync("provision", "--consortium", "ops", "--out", home, "--host", "127.0.0.1");
        Assert.True(exit == 0, error);
        return home;
    }

    /// <summary>A site's CSR, as <c>node enroll</c> makes it: CN = the site, a fresh P-256 key.</summary>
    private static string SigningRequest(string site)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = new(new X500DistinguishedName($"CN={site}"), key, HashAlgorithmName.SHA256);
        return request.CreateSigningRequestPem();
    }
}
