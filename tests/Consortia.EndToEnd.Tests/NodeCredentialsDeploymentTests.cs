using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Consortia.Cli.Deployment;
using Consortia.EndToEnd.Tests.Support;
using Consortia.Network.Identity;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests;

/// <summary>
/// Issue 18's "done means" for credentials and networks, over real processes: a node with a short-lived certificate
/// renews it with a new key before it expires and keeps working; a node reaches the coordinator through an HTTP CONNECT
/// proxy; a second node with the same identity is refused with a message that says so while the first keeps its stream.
/// </summary>
[Collection(EndToEndGroup.Name)]
[Trait("Category", "Slow")]
public sealed class NodeCredentialsDeploymentTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromMinutes(3);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ShortLivedCertificate_IsRenewedByTheRunningNode_WithANewKey_AndTheNodeStaysConnected()
    {
        await using Consortium consortium = await Consortium.ProvisionAsync();
        await consortium.StartCoordinatorAsync();

        // The site enrolls with a certificate valid 200 s (issued 5 min back-dated): renewal falls due about 30 s after
        // issue (two thirds of its life), long before it expires.
        string identityFolder = Path.Combine(consortium.Root, "sites", "va", "identity");
        Directory.CreateDirectory(identityFolder);
        string oldSerial;
        using (CoordinatorIdentity identity = CoordinatorIdentity.Open(consortium.Home, TimeProvider.System))
        using (ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
        {
            identity.SiteCertificateValidity = TimeSpan.FromSeconds(200);
            CertificateRequest request = new(new X500DistinguishedName("CN=va"), key, HashAlgorithmName.SHA256);
            using X509Certificate2 issued = identity.Enroll(identity.CreateToken("va", TimeSpan.FromHours(1)), request.CreateSigningRequestPem());
            oldSerial = issued.SerialNumber;
            await File.WriteAllTextAsync(Path.Combine(identityFolder, IdentityFiles.SiteKey), key.ExportPkcs8PrivateKeyPem() + "\n", Cancel);
            await File.WriteAllTextAsync(Path.Combine(identityFolder, IdentityFiles.SiteCertificate), issued.ExportCertificatePem() + "\n", Cancel);
            await File.WriteAllTextAsync(Path.Combine(identityFolder, IdentityFiles.CaCertificate), identity.Ca.ExportCertificatePem() + "\n", Cancel);
        }

        string oldKey = await File.ReadAllTextAsync(Path.Combine(identityFolder, IdentityFiles.SiteKey), Cancel);
        ConsortiaProcess node = await consortium.StartNodeAsync("va");
        await node.WaitForLineAsync(l => l.Contains("certificate renewed with a new key", StringComparison.Ordinal), s_wait, "saying it renewed its certificate", Cancel);
        await node.WaitForLineAsync(l => l.Contains("reconnecting on a new connection (renewed certificate)", StringComparison.Ordinal), s_wait, "reconnecting with the renewed certificate", Cancel);

        using X509Certificate2 renewed = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(identityFolder, IdentityFiles.SiteCertificate), Cancel));
        Assert.NotEqual(oldSerial, renewed.SerialNumber);
        Assert.NotEqual(oldKey, await File.ReadAllTextAsync(Path.Combine(identityFolder, IdentityFiles.SiteKey), Cancel));
        Assert.True(renewed.NotAfter.ToUniversalTime() > TimeProvider.System.GetUtcNow().UtcDateTime.AddDays(300), $"the coordinator's own validity applies to the renewal: {renewed.NotAfter:O}");

        // The coordinator knows the new certificate and still sees the site connected with it.
        (int code, string sites) = await consortium.RunAsync(["site", "list", "--coordinator", $"https://127.0.0.1:{consortium.AdminPort}", "--home", consortium.Home, "--timeout", "120"]);
        Assert.True(code == 0, sites);
        Assert.Matches(@"(?m)^va\s+connected\s", sites);
        Assert.Contains(renewed.SerialNumber, sites, StringComparison.OrdinalIgnoreCase);
        Assert.False(node.HasExited, node.Output);
    }

    [Fact]
    public async Task NodeBehindAConnectProxy_ConnectsThroughTheTunnel()
    {
        await using Consortium consortium = await Consortium.ProvisionAsync();
        await consortium.StartCoordinatorAsync();
        await using ConnectProxy proxy = ConnectProxy.Start();
        string folder = Path.Combine(consortium.Root, "proxied");
        await consortium.RunOkAsync(["node", "enroll", "--coordinator", $"https://127.0.0.1:{consortium.EnrollmentPort}", "--token", await consortium.CreateTokenAsync("hungarian"), "--out", Path.Combine(folder, "identity")]);
        string config = await WriteSiteYamlAsync(folder, "hungarian", consortium.SitesPort, $"proxy: {proxy.Address}");

        await using ConsortiaProcess node = ConsortiaProcess.Start("hungarian", ["node", "run", "--config", config], consortium.Root);
        await node.WaitForLineAsync(l => l.Contains("connected to the coordinator", StringComparison.Ordinal), s_wait, "saying it connected", Cancel);

        Assert.True(proxy.Tunnels >= 1, "the node's connection went through the proxy");
        lock (proxy.Targets)
        {
            Assert.All(proxy.Targets, t => Assert.Equal($"127.0.0.1:{consortium.SitesPort}", t));
        }

        (int code, string sites) = await consortium.RunAsync(["site", "list", "--coordinator", $"https://127.0.0.1:{consortium.AdminPort}", "--home", consortium.Home, "--timeout", "120"]);
        Assert.True(code == 0, sites);
        Assert.Matches(@"(?m)^hungarian\s+connected\s", sites);
    }

    [Fact]
    public async Task SecondNodeWithTheSameIdentity_IsRefusedSayingSo_AndTheFirstKeepsItsStream()
    {
        await using Consortium consortium = await Consortium.ProvisionAsync();
        await consortium.StartCoordinatorAsync();
        ConsortiaProcess first = await consortium.EnrollAndStartNodeAsync("cleveland");

        // A copy of cleveland's identity on another machine (here: another folder with its own state).
        string twin = Path.Combine(consortium.Root, "twin");
        CopyFolder(Path.Combine(consortium.Root, "sites", "cleveland", "identity"), Path.Combine(twin, "identity"));
        string config = await WriteSiteYamlAsync(twin, "cleveland", consortium.SitesPort, "");
        await using ConsortiaProcess second = ConsortiaProcess.Start("twin", ["node", "run", "--config", config], consortium.Root);

        await second.WaitForLineAsync(l => l.Contains("(duplicate-identity)", StringComparison.Ordinal), s_wait, "saying its identity is in use by another node", Cancel);
        await consortium.Coordinator!.WaitForLineAsync(l => l.Contains("refused a second node for site cleveland", StringComparison.Ordinal), s_wait, "logging the refused twin", Cancel);
        Assert.DoesNotContain("connected to the coordinator", second.Output, StringComparison.Ordinal);

        (int code, string sites) = await consortium.RunAsync(["site", "list", "--coordinator", $"https://127.0.0.1:{consortium.AdminPort}", "--home", consortium.Home, "--timeout", "120"]);
        Assert.True(code == 0, sites);
        Assert.Matches(@"(?m)^cleveland\s+connected\s", sites);
        Assert.DoesNotContain("not connected", first.Output, StringComparison.Ordinal); // the first never lost its stream
        Assert.False(first.HasExited, first.Output);
    }

    private static async Task<string> WriteSiteYamlAsync(string folder, string site, int sitesPort, string extra)
    {
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "site.yaml");
        await File.WriteAllTextAsync(path, string.Join('\n',
            $"site: {site}",
            $"coordinator: https://127.0.0.1:{sitesPort}",
            "identity: identity",
            "state: state",
            $"policy: {Path.Combine(RepositoryPaths.Root, "examples", "policies", "heart-disease-research.yaml")}",
            extra,
            "data:",
            $"  path: {Path.Combine(RepositoryPaths.Root, "data", "fed-heart-disease")}",
            $"  site: {site}",
            ""), Cancel);
        return path;
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
