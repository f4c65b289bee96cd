using System.Net;
using System.Net.Sockets;
using Consortia.Network.Configuration;
using Consortia.Network.Identity;
using Consortia.Network.Node;
using Consortia.Network.Protos;
using Consortia.Network.Tests.Identity;
using Grpc.Net.Client;

namespace Consortia.Network.Tests.Nodes;

/// <summary>
/// Reconnect discipline over real loopback sockets: a second node with the same identity is refused with a message
/// that says so (and the first keeps its stream), failures are explained in words and logged once per reason,
/// and a revoked node backs off to the longest delay.
/// </summary>
public sealed class NodeConnectionTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DuplicateIdentity_TheSecondNodeIsRefusedWithAMessage_AndTheFirstKeepsItsStream()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string folder = await host.EnrollAsync("hospital-1");
        using NodeIdentity first = NodeIdentity.Load(Config(host, folder), host.Time);
        using NodeIdentity second = NodeIdentity.Load(Config(host, folder), host.Time);
        RecordingLogger firstLog = new();
        RecordingLogger secondLog = new();
        SiteNode a = Node(first, host, "node-a", firstLog, seed: 1);
        SiteNode b = Node(second, host, "node-b", secondLog, seed: 2);
        using CancellationTokenSource stopA = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        using CancellationTokenSource stopB = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        Task runA = a.RunAsync(stopA.Token);
        await Eventually.TrueAsync(() => a.IsConnected, "the first node to connect");

        Task runB = b.RunAsync(stopB.Token);
        await Eventually.TrueAsync(() => b.FailedAttempts >= 4, "the second node to try several times");

        ConnectionProblem problem = Assert.IsType<ConnectionProblem>(b.Problem);
        Assert.Equal("duplicate-identity", problem.Code);
        Assert.True(problem.Lasting);
        Assert.Contains("two nodes are using the identity of site 'hospital-1'", problem.Message, StringComparison.Ordinal);
        Assert.Contains("node node-a", problem.Message, StringComparison.Ordinal);
        Assert.True(1 == secondLog.Count("duplicate-identity"), string.Join("\n", secondLog.Lines)); // once per reason, not per attempt
        Assert.True(a.IsConnected);
        Assert.Equal(1, a.Connections); // no flapping: the first node's stream was never replaced
        Assert.Equal(0, b.Connections);

        // The first node stops: the second takes over at its next attempt.
        await stopA.CancelAsync();
        await runA;
        await Eventually.TrueAsync(() => b.IsConnected, "the second node to connect once the first has gone");
        Assert.Null(b.Problem);
        await stopB.CancelAsync();
        await runB;
    }

    [Fact]
    public async Task SameNodeReconnecting_ReplacesItsOwnStream()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string folder = await host.EnrollAsync("hospital-1");
        using NodeIdentity identity = NodeIdentity.Load(Config(host, folder), host.Time);
        SiteGateway.SiteGatewayClient client = new(identity.Channel);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        using Grpc.Core.AsyncServerStreamingCall<WorkFrame> old = client.PullWork(new PullWorkRequest { NodeInstance = "same" }, cancellationToken: stop.Token);
        await old.ResponseHeadersAsync;

        using Grpc.Core.AsyncServerStreamingCall<WorkFrame> again = client.PullWork(new PullWorkRequest { NodeInstance = "same" }, cancellationToken: stop.Token);
        await again.ResponseHeadersAsync;

        Assert.True(await again.ResponseStream.MoveNext(stop.Token)); // the new stream is served
        Assert.Equal(WorkFrame.KindOneofCase.ActiveJobs, again.ResponseStream.Current.KindCase);
        await stop.CancelAsync();
    }

    [Fact]
    public async Task RevokedNode_SaysSo_AndBacksOffToTheLongestDelay()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string folder = await host.EnrollAsync("hospital-1");
        host.Identity.Revoke("hospital-1");
        using NodeIdentity identity = NodeIdentity.Load(Config(host, folder), host.Time);
        RecordingLogger log = new();
        SiteNode node = Node(identity, host, "node-a", log, seed: 3);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        Task run = node.RunAsync(stop.Token);
        await Eventually.TrueAsync(() => node.FailedAttempts >= 1, "the refusal");

        ConnectionProblem problem = Assert.IsType<ConnectionProblem>(node.Problem);
        Assert.Equal("revoked", problem.Code);
        Assert.Contains("is revoked", problem.Message, StringComparison.Ordinal);
        Assert.Contains("enroll it again", problem.Message, StringComparison.Ordinal);
        Assert.True(problem.Lasting);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task WrongPorts_AndNames_AreExplainedInWords()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string folder = await host.EnrollAsync("hospital-1");

        // The enrollment port: TLS, but no site gateway there.
        Assert.Equal("wrong-endpoint", (await ProblemDialling(host, folder, host.EnrollmentAddress.ToString())).Code);

        // A port that does not speak TLS (e.g. the health port).
        using TcpListener plain = new(IPAddress.Loopback, 0);
        plain.Start();
        Task serving = ServePlainHttpAsync(plain);
        ConnectionProblem notTls = await ProblemDialling(host, folder, $"https://127.0.0.1:{((IPEndPoint)plain.LocalEndpoint).Port}");
        Assert.Equal("not-tls", notTls.Code);
        Assert.Contains("does not speak TLS", notTls.Message, StringComparison.Ordinal);
        plain.Stop();
        await serving;

        // A closed port.
        int closed = FreePort();
        ConnectionProblem refused = await ProblemDialling(host, folder, $"https://127.0.0.1:{closed}");
        Assert.Equal("connection-refused", refused.Code);
        Assert.Contains($"127.0.0.1:{closed}", refused.Message, StringComparison.Ordinal);

        // A name the coordinator's certificate does not carry (it names localhost and 127.0.0.1).
        ConnectionProblem untrusted = await ProblemDialling(host, folder, $"https://[::1]:{host.SitesAddress.Port}");
        Assert.True(untrusted.Code is "untrusted-coordinator" or "connection-refused", untrusted.ToString());

        // A name that does not resolve.
        Assert.Equal("unknown-host", (await ProblemDialling(host, folder, "https://no-such-coordinator.invalid:7443")).Code);
    }

    private static async Task<ConnectionProblem> ProblemDialling(IdentityTestHost host, string folder, string coordinator)
    {
        NodeConfig config = Config(host, folder);
        config.Coordinator = coordinator;
        using NodeIdentity identity = NodeIdentity.Load(config, host.Time);
        RecordingLogger log = new();
        SiteNode node = new(new SiteGateway.SiteGatewayClient(identity.Channel), new IdleHandler("hospital-1"), Options(coordinator, "probe", 4, identity), TimeProvider.System, log);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        Task run = node.RunAsync(stop.Token);
        await Eventually.TrueAsync(() => node.FailedAttempts >= 3, $"three failed attempts at {coordinator}");
        ConnectionProblem problem = node.Problem!;
        Assert.Equal(1, log.Lines.Count(l => l.Message.Contains($"({problem.Code})", StringComparison.Ordinal))); // logged once, not per attempt
        Assert.DoesNotContain("Exception", problem.Message, StringComparison.Ordinal);
        await stop.CancelAsync();
        await run;
        return problem;
    }

    /// <summary>Answers every connection like an HTTP/1 health endpoint would.</summary>
    private static async Task ServePlainHttpAsync(TcpListener listener)
    {
        try
        {
            while (true)
            {
                using TcpClient client = await listener.AcceptTcpClientAsync(Cancel);
                NetworkStream stream = client.GetStream();
                byte[] buffer = new byte[4096];
                _ = await stream.ReadAsync(buffer, Cancel);
                await stream.WriteAsync("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"u8.ToArray(), Cancel);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException or OperationCanceledException)
        {
            // Stopped.
        }
    }

    private static int FreePort()
    {
        using TcpListener listener = new(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    internal static NodeConfig Config(IdentityTestHost host, string folder) => new()
    {
        Site = "hospital-1",
        Coordinator = host.SitesAddress.ToString(),
        Identity = folder,
        State = host.Dir.Combine("state"),
    };

    internal static SiteNodeOptions Options(string coordinator, string instance, int seed, NodeIdentity identity) => new()
    {
        InitialBackoff = TimeSpan.FromMilliseconds(20),
        MaxBackoff = TimeSpan.FromMilliseconds(100),
        Jitter = new Random(seed),
        Instance = instance,
        Coordinator = coordinator,
        TlsRefusal = () => identity.TlsRefusal,
    };

    internal static SiteNode Node(NodeIdentity identity, IdentityTestHost host, string instance, RecordingLogger log, int seed) =>
        new(new SiteGateway.SiteGatewayClient(identity.Channel), new IdleHandler("hospital-1"), Options(host.SitesAddress.ToString(), instance, seed, identity), TimeProvider.System, log);
}
