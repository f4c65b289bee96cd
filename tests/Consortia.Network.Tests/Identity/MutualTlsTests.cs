using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Consortia.Federation;
using Consortia.Network.Identity;
using Consortia.Network.Protos;
using Consortia.Network.Transport;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Network.Tests.Identity;

[Trait("Category", "Slow")]
public sealed class MutualTlsTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static DateTime Deadline => TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(30);

    [Fact]
    public async Task EnrolledSite_IsAccepted_AndServicesSeeItsSite()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string folder = await host.EnrollAsync("hospital-1");
        using SiteCredentials credentials = SiteCredentials.Load(folder, "hospital-1");
        using GrpcChannel channel = Channel(host.SitesAddress, MutualTls.CreateSiteHandler(credentials, host.Time));

        HeartbeatReply reply = await new SiteGateway.SiteGatewayClient(channel).HeartbeatAsync(new HeartbeatRequest(), deadline: Deadline, cancellationToken: Cancel);

        Assert.True(reply.IntervalSeconds > 0);
        Assert.Equal([new SiteId("hospital-1")], host.SiteCalls.Sites);
        Assert.Equal([new SiteId("hospital-1")], host.Identity.ActiveSites());
    }

    [Fact]
    public async Task RevokedAfterConnect_NextCallOnTheSameConnection_IsRefused()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string folder = await host.EnrollAsync("hospital-1");
        await host.EnrollAsync("hospital-2");
        using SiteCredentials credentials = SiteCredentials.Load(folder, "hospital-1");
        using GrpcChannel channel = Channel(host.SitesAddress, MutualTls.CreateSiteHandler(credentials, host.Time));
        SiteGateway.SiteGatewayClient client = new(channel);
        await client.HeartbeatAsync(new HeartbeatRequest(), deadline: Deadline, cancellationToken: Cancel);

        Assert.Equal(1, host.Identity.Revoke("hospital-1"));
        RpcException refused = await Assert.ThrowsAsync<RpcException>(async () => await client.HeartbeatAsync(new HeartbeatRequest(), deadline: Deadline, cancellationToken: Cancel));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("revoked", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Single(host.SiteCalls.Calls);
        Assert.Equal([new SiteId("hospital-2")], host.Identity.ActiveSites());
        IssuedCertificate revoked = Assert.Single(host.Identity.Certificates(), c => c.Site == "hospital-1");
        Assert.Equal(IdentityTestHost.Start, revoked.RevokedAt);

        // A new connection is refused on its first call, with a message naming the revocation (a refused
        // handshake would reach the node as an unreadable TLS error).
        using GrpcChannel fresh = Channel(host.SitesAddress, MutualTls.CreateSiteHandler(credentials, host.Time));
        RpcException again = await Assert.ThrowsAsync<RpcException>(async () => await new SiteGateway.SiteGatewayClient(fresh).HeartbeatAsync(new HeartbeatRequest(), deadline: Deadline, cancellationToken: Cancel));
        Assert.Equal(StatusCode.PermissionDenied, again.StatusCode);
        Assert.Contains($"certificate {revoked.Serial} of site 'hospital-1' is revoked", again.Status.Detail, StringComparison.Ordinal);
        Assert.Single(host.SiteCalls.Calls);
    }

    [Fact]
    public async Task RevokedWhileItsWorkStreamIsOpen_TheStreamEndsAtTheNextMessage()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string folder = await host.EnrollAsync("hospital-1");
        using SiteCredentials credentials = SiteCredentials.Load(folder, "hospital-1");
        using GrpcChannel channel = Channel(host.SitesAddress, MutualTls.CreateSiteHandler(credentials, host.Time));
        using CancellationTokenSource timeout = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        using AsyncServerStreamingCall<WorkFrame> stream = new SiteGateway.SiteGatewayClient(channel).PullWork(new PullWorkRequest { NodeVersion = "test" }, cancellationToken: timeout.Token);
        await stream.ResponseHeadersAsync; // the stream is open at the coordinator
        SiteId[] roster = [new("hospital-1")];

        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal(WorkFrame.KindOneofCase.ActiveJobs, stream.ResponseStream.Current.KindCase); // sent as the stream opens
        using GrpcSiteTransport.JobSession first = host.Transport.BeginJob("job-1", "name: one", roster);
        Assert.True(await stream.ResponseStream.MoveNext(timeout.Token));
        Assert.Equal(WorkFrame.KindOneofCase.Job, stream.ResponseStream.Current.KindCase);

        host.Identity.Revoke("hospital-1");
        using GrpcSiteTransport.JobSession second = host.Transport.BeginJob("job-2", "name: two", roster);
        RpcException refused = await Assert.ThrowsAsync<RpcException>(() => stream.ResponseStream.MoveNext(timeout.Token));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Contains("revoked", refused.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ExpiredCertificate_IsRefused_OnOpenAndNewConnections()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string folder = await host.EnrollAsync("hospital-1");
        using SiteCredentials credentials = SiteCredentials.Load(folder, "hospital-1");
        using GrpcChannel channel = Channel(host.SitesAddress, MutualTls.CreateSiteHandler(credentials, host.Time));
        SiteGateway.SiteGatewayClient client = new(channel);
        await client.HeartbeatAsync(new HeartbeatRequest(), deadline: Deadline, cancellationToken: Cancel);

        host.Time.Advance(TimeSpan.FromDays(365) + TimeSpan.FromSeconds(1));

        RpcException refused = await Assert.ThrowsAsync<RpcException>(async () => await client.HeartbeatAsync(new HeartbeatRequest(), deadline: Deadline, cancellationToken: Cancel));
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Empty(host.Identity.ActiveSites());
        using GrpcChannel fresh = Channel(host.SitesAddress, MutualTls.CreateSiteHandler(credentials, host.Time));
        await AssertHandshakeRefusedAsync(fresh, host);
    }

    [Fact]
    public async Task CertificateFromAnotherCa_IsRefused()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        await host.EnrollAsync("hospital-1"); // the name and even a serial format the coordinator knows
        using X509Certificate2 rogueCa = ConsortiumPki.CreateCa("rogue", host.Time.GetUtcNow());
        using X509Certificate2 rogue = Issue(rogueCa, "CN=hospital-1", ConsortiumPki.ClientAuthOid, host.Time.GetUtcNow());

        Assert.False(host.Identity.TryAuthorizeSite(rogue, out _, out string problem));
        Assert.NotEmpty(problem);
        using GrpcChannel channel = Channel(host.SitesAddress, Handler(rogue, host.Identity.Ca, host.Time, SslProtocols.Tls13));
        await AssertHandshakeRefusedAsync(channel, host);
    }

    [Fact]
    public async Task CertificateWithoutClientAuth_IsRefused()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        using X509Certificate2 serverOnly = Issue(host.Identity.Ca, "CN=hospital-1", ConsortiumPki.ServerAuthOid, host.Time.GetUtcNow());

        Assert.False(host.Identity.TryAuthorizeSite(serverOnly, out _, out string problem));
        Assert.Contains("NotValidForUsage", problem, StringComparison.Ordinal);
        using GrpcChannel channel = Channel(host.SitesAddress, Handler(serverOnly, host.Identity.Ca, host.Time, SslProtocols.Tls13));
        await AssertHandshakeRefusedAsync(channel, host);
    }

    [Fact]
    public async Task CertificateOfTheCaNeverIssuedByTheCoordinator_IsRefused()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        // Signed with the CA key but absent from identity.db (e.g. minted by someone who stole a backup of the key).
        using X509Certificate2 unknown = Issue(host.Identity.Ca, "CN=hospital-1", ConsortiumPki.ClientAuthOid, host.Time.GetUtcNow());

        Assert.False(host.Identity.TryAuthorizeSite(unknown, out _, out string problem));
        Assert.Contains("not issued by this coordinator", problem, StringComparison.Ordinal);
        using GrpcChannel channel = Channel(host.SitesAddress, Handler(unknown, host.Identity.Ca, host.Time, SslProtocols.Tls13));
        await AssertHandshakeRefusedAsync(channel, host);
    }

    [Fact]
    public async Task Tls12OnlyClient_IsRefused()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string folder = await host.EnrollAsync("hospital-1");
        using SiteCredentials credentials = SiteCredentials.Load(folder, "hospital-1");

        using GrpcChannel channel = Channel(host.SitesAddress, Handler(credentials.Certificate, credentials.Ca, host.Time, SslProtocols.Tls12));

        await AssertHandshakeRefusedAsync(channel, host);
    }

    [Fact]
    public async Task NoClientCertificate_IsRefused()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        using GrpcChannel channel = Channel(host.SitesAddress, MutualTls.CreatePinnedHandler(host.Identity.Ca, host.Time));

        await AssertHandshakeRefusedAsync(channel, host);
    }

    [Fact]
    public async Task SiteHandler_RefusesACoordinatorOfAnotherCa()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        await using IdentityTestHost impostor = await IdentityTestHost.StartAsync();
        CallRecorder calls = new();
        // The impostor does not even ask for a client certificate: only the node's pin can stop the call.
        Uri address = await impostor.ServeAsync(
            listen => impostor.Identity.UseServerTls(listen),
            services =>
            {
                services.AddSingleton(new GrpcSiteTransport([], impostor.Time, NullLogger.Instance));
                services.AddSingleton(new NetworkMetrics());
                services.AddGrpc(o => o.Interceptors.Add<CallRecorder>());
            },
            app => app.MapGrpcService<global::Consortia.Network.Coordinator.SiteGatewayService>(),
            calls);
        string folder = await host.EnrollAsync("hospital-1");
        using SiteCredentials credentials = SiteCredentials.Load(folder, "hospital-1");
        using GrpcChannel channel = Channel(address, MutualTls.CreateSiteHandler(credentials, host.Time));

        RpcException refused = await Assert.ThrowsAsync<RpcException>(async () => await new SiteGateway.SiteGatewayClient(channel).HeartbeatAsync(new HeartbeatRequest(), deadline: Deadline, cancellationToken: Cancel));

        // The node's TLS check fails the handshake (the call never reaches the impostor's service).
        Assert.True(refused.StatusCode is StatusCode.Unavailable or StatusCode.Internal, refused.ToString());
        Assert.Empty(calls.Calls);
    }

    [Fact]
    public async Task SiteCredentials_ForAnotherSite_AreRefused()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string folder = await host.EnrollAsync("hospital-1");

        Assert.Throws<IdentityException>(() => SiteCredentials.Load(folder, "hospital-2"));
        Assert.Throws<IdentityException>(() => SiteCredentials.Load(host.Dir.Combine("nowhere"), null));
    }

    private static GrpcChannel Channel(Uri address, HttpMessageHandler handler) =>
        GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true });

    private static SocketsHttpHandler Handler(X509Certificate2 client, X509Certificate2 ca, TimeProvider time, SslProtocols protocols) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            EnabledSslProtocols = protocols,
            ClientCertificates = [client],
            RemoteCertificateValidationCallback = (_, server, _, errors) => MutualTls.IsTrustedServer(server, errors, ca, time.GetUtcNow(), out _),
        },
    };

    /// <summary>The call fails at the transport (the handshake or the connection it broke), and no service code ran.</summary>
    private static async Task AssertHandshakeRefusedAsync(GrpcChannel channel, IdentityTestHost host)
    {
        int before = host.SiteCalls.Calls.Count;
        RpcException refused = await Assert.ThrowsAsync<RpcException>(async () => await new SiteGateway.SiteGatewayClient(channel).HeartbeatAsync(new HeartbeatRequest(), deadline: Deadline, cancellationToken: Cancel));
        Assert.True(refused.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.Unknown, refused.ToString());
        Assert.Equal(before, host.SiteCalls.Calls.Count);
    }

    /// <summary>A certificate with its key, signed by <paramref name="issuer"/>, carrying one extended key usage.</summary>
    private static X509Certificate2 Issue(X509Certificate2 issuer, string subject, string usage, DateTimeOffset now)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = new(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = 0x41;
        using X509Certificate2 issued = request.Create(issuer, now.AddMinutes(-5), now.AddDays(30), serial);
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
