using System.Net;
using System.Net.Sockets;
using System.Text;
using Consortia.Network.Configuration;
using Consortia.Network.Identity;
using Consortia.Network.Node;
using Consortia.Network.Protos;
using Consortia.Network.Tests.Identity;
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

    /// <summary>A minimal HTTP CONNECT proxy on loopback that counts the tunnels it opened.</summary>
    private sealed class ConnectProxy : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _accepting;
        private readonly List<Task> _tunnels = [];
        private readonly Lock _gate = new();
        private int _count;

        private ConnectProxy()
        {
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            _accepting = AcceptAsync();
        }

        public string Address => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        public int Tunnels => Volatile.Read(ref _count);

        public List<string> Targets { get; } = [];

        public static ConnectProxy Start() => new();

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            Task[] tunnels;
            lock (_gate)
            {
                tunnels = [.. _tunnels];
            }

            await Task.WhenAll(tunnels);
            _stop.Dispose();
        }

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    lock (_gate)
                    {
                        _tunnels.Add(TunnelAsync(client));
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                // Stopped.
            }
        }

        private async Task TunnelAsync(TcpClient client)
        {
            using (client)
            {
                try
                {
                    NetworkStream inbound = client.GetStream();
                    string request = await ReadHeadAsync(inbound);
                    string[] first = request.Split("\r\n")[0].Split(' ');
                    if (first is not ["CONNECT", string target, _])
                    {
                        await inbound.WriteAsync("HTTP/1.1 405 Method Not Allowed\r\n\r\n"u8.ToArray(), _stop.Token);
                        return;
                    }

                    string[] hostPort = target.Split(':');
                    using TcpClient upstream = new();
                    await upstream.ConnectAsync(hostPort[0], int.Parse(hostPort[1], System.Globalization.CultureInfo.InvariantCulture), _stop.Token);
                    lock (_gate)
                    {
                        Targets.Add(target);
                    }

                    Interlocked.Increment(ref _count);
                    await inbound.WriteAsync("HTTP/1.1 200 Connection established\r\n\r\n"u8.ToArray(), _stop.Token);
                    NetworkStream outbound = upstream.GetStream();
                    using CancellationTokenSource either = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    Task up = inbound.CopyToAsync(outbound, either.Token);
                    Task down = outbound.CopyToAsync(inbound, either.Token);
                    await Task.WhenAny(up, down);
                    await either.CancelAsync();
                    await Task.WhenAll(up, down).ContinueWith(_ => { }, TaskScheduler.Default);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
                {
                    // A side closed, or the proxy stops.
                }
            }
        }

        /// <summary>Reads the request head byte by byte (nothing of the tunnel's first bytes may be consumed).</summary>
        private async Task<string> ReadHeadAsync(NetworkStream stream)
        {
            StringBuilder head = new();
            byte[] one = new byte[1];
            while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
            {
                if (await stream.ReadAsync(one, _stop.Token) == 0 || head.Length > 8192)
                {
                    throw new IOException("the client closed before the end of its request head");
                }

                head.Append((char)one[0]);
            }

            return head.ToString();
        }
    }
}
