using Consortia.Network.Configuration;
using Consortia.Network.Identity;
using Consortia.Network.Node;
using Consortia.Network.Protos;
using Consortia.Network.Tests.Identity;
using Consortia.TestKit;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Network.Tests.Nodes;

/// <summary>
/// Hospital networks and credential lifecycle: a node reaches the coordinator through an HTTP CONNECT proxy with
/// mutual TLS end to end, and renews its short-lived certificate with a new key before it expires (injected clock).
/// </summary>
public sealed class ProxyAndRenewalTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NodeBehindAConnectProxy_WorksThroughTheTunnel_WithMutualTlsEndToEnd()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string folder = await host.EnrollAsync("hospital-1");
        await using ConnectProxy proxy = ConnectProxy.Start();
        NodeConfig config = NodeConnectionTests.Config(host, folder);
        config.Proxy = proxy.Address;
        using NodeIdentity identity = NodeIdentity.Load(config, host.Time);
        SiteNode node = NodeConnectionTests.Node(identity, host, "node-a", new RecordingLogger(), seed: 5);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        Task run = node.RunAsync(stop.Token);

        await Eventually.TrueAsync(() => node.IsConnected, () => $"the node to connect through the proxy ({node.Problem}; {proxy.Tunnels} tunnels)");
        HeartbeatReply reply = await new SiteGateway.SiteGatewayClient(identity.Channel).HeartbeatAsync(new HeartbeatRequest(), cancellationToken: Cancel);

        Assert.True(reply.IntervalSeconds > 0);
        Assert.True(proxy.Tunnels >= 1, "the traffic went through the proxy");
        Assert.All(proxy.Targets, t => Assert.Equal($"{host.SitesAddress.Host}:{host.SitesAddress.Port}", t));
        Assert.Contains(new Federation.SiteId("hospital-1"), host.Transport.Connected); // the coordinator authenticated the site's certificate
        Assert.Contains(new Federation.SiteId("hospital-1"), host.SiteCalls.Sites);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task ShortLivedCertificate_IsRenewedWithANewKey_BeforeItExpires()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        host.Identity.SiteCertificateValidity = TimeSpan.FromHours(3);
        string folder = await host.EnrollAsync("hospital-1");
        string oldKey = await File.ReadAllTextAsync(Path.Combine(folder, IdentityFiles.SiteKey), Cancel);
        using NodeIdentity identity = NodeIdentity.Load(NodeConnectionTests.Config(host, folder), host.Time);
        string oldSerial = identity.Credentials.Certificate.SerialNumber;
        SiteNode node = NodeConnectionTests.Node(identity, host, "node-a", new RecordingLogger(), seed: 6);
        CertificateRenewalLoop renewal = new(identity, folder, node, host.Time, NullLogger.Instance);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        Task run = node.RunAsync(stop.Token);
        await Eventually.TrueAsync(() => node.IsConnected, "the node to connect");

        Assert.Null(await renewal.RenewIfDueAsync(Cancel)); // fresh: not due
        host.Time.Advance(TimeSpan.FromHours(2.5)); // past two thirds of its 3 hours
        RenewalResult renewed = Assert.IsType<RenewalResult>(await renewal.RenewIfDueAsync(Cancel));

        Assert.Equal(oldSerial, renewed.OldSerial);
        Assert.NotEqual(oldSerial, renewed.Serial);
        Assert.Equal(renewed.Serial, identity.Credentials.Certificate.SerialNumber);
        Assert.NotEqual(oldKey, await File.ReadAllTextAsync(Path.Combine(folder, IdentityFiles.SiteKey), Cancel)); // key rotated
        Assert.Equal(host.Time.GetUtcNow() + TimeSpan.FromHours(3), renewed.NotAfter, TimeSpan.FromSeconds(1));
        Assert.Equal([oldSerial, renewed.Serial], host.Identity.Certificates().Where(c => c.Site == "hospital-1").Select(c => c.Serial));
        Assert.False(Directory.EnumerateFiles(folder, "*" + IdentityFiles.NextSuffix).Any());

        // The node reopens its stream with the new certificate; then the old one can be retired by serial.
        await Eventually.TrueAsync(() => node.Connections >= 2 && node.IsConnected, "the node to reconnect with its new certificate");
        host.Identity.RevokeSerial(oldSerial);
        host.Time.Advance(TimeSpan.FromHours(1)); // the old certificate has expired now
        using SiteCredentials reloaded = SiteCredentials.Load(folder, "hospital-1");
        using GrpcChannel fresh = GrpcChannel.ForAddress(host.SitesAddress, new GrpcChannelOptions { HttpHandler = MutualTls.CreateSiteHandler(reloaded, host.Time) });
        HeartbeatReply reply = await new SiteGateway.SiteGatewayClient(fresh).HeartbeatAsync(new HeartbeatRequest(), cancellationToken: Cancel);
        Assert.True(reply.IntervalSeconds > 0);
        Assert.Equal(renewed.Serial, reloaded.Certificate.SerialNumber);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Renewal_ThatReusesTheKey_OrNamesAnotherSite_IsRefused()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string folder = await host.EnrollAsync("hospital-1");
        using SiteCredentials credentials = SiteCredentials.Load(folder, "hospital-1");
        using System.Security.Cryptography.ECDsa key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        key.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(folder, IdentityFiles.SiteKey), Cancel));

        EnrollmentRefusedException sameKey = Assert.Throws<EnrollmentRefusedException>(() => host.Identity.Renew(new Federation.SiteId("hospital-1"), credentials.Certificate, NodeEnrollment.CreateSigningRequest("hospital-1", key)));
        Assert.Contains("reuses the current certificate's key", sameKey.Message, StringComparison.Ordinal);

        using System.Security.Cryptography.ECDsa other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        EnrollmentRefusedException otherSite = Assert.Throws<EnrollmentRefusedException>(() => host.Identity.Renew(new Federation.SiteId("hospital-1"), credentials.Certificate, NodeEnrollment.CreateSigningRequest("hospital-2", other)));
        Assert.Equal(StatusCode.PermissionDenied, otherSite.Status);
    }

    [Fact]
    public void InterruptedReplacement_IsFinishedWhenTheFolderIsLoaded()
    {
        using TempDir dir = new();
        string folder = dir.Combine("id");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, IdentityFiles.SiteKey + IdentityFiles.NextSuffix), "new key");
        File.WriteAllText(Path.Combine(folder, IdentityFiles.SiteCertificate + IdentityFiles.NextSuffix), "new certificate");

        Assert.True(IdentityFiles.CompleteReplacement(folder));

        Assert.Equal("new key", File.ReadAllText(Path.Combine(folder, IdentityFiles.SiteKey)));
        Assert.Equal("new certificate", File.ReadAllText(Path.Combine(folder, IdentityFiles.SiteCertificate)));
        Assert.False(IdentityFiles.CompleteReplacement(folder));
    }

}
