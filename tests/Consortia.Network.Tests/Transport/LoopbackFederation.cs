using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Network.Coordinator;
using Consortia.Network.Node;
using Consortia.Network.Protos;
using Consortia.Network.Transport;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Network.Tests.Transport;

/// <summary>
/// A coordinator's site gateway on a real loopback socket with mutual TLS, and site nodes that dial it, in
/// one process: the gRPC transport end to end without child processes.
/// </summary>
internal sealed class LoopbackFederation : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _nodes = [];
    private readonly List<GrpcChannel> _channels = [];

    private LoopbackFederation(WebApplication app, GrpcSiteTransport transport, Uri address, TestPki pki)
    {
        Pki = pki;
        _app = app;
        Transport = transport;
        Address = address;
    }

    public GrpcSiteTransport Transport { get; }

    public Uri Address { get; }

    public TestPki Pki { get; }

    public static async Task<LoopbackFederation> StartAsync(IReadOnlyList<SiteId> roster, TimeSpan? defaultDeadline = null)
    {
        TestPki pki = new();
        NetworkMetrics metrics = new();
        GrpcSiteTransport transport = new(roster, TimeProvider.System, NullLogger.Instance, defaultDeadline, metrics);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(transport);
        builder.Services.AddSingleton(metrics);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = pki.Coordinator,
                SslProtocols = SslProtocols.Tls13,
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = (certificate, _, _) => pki.Trusts(certificate),
            });
        }));
        WebApplication app = builder.Build();
        app.MapGrpcService<SiteGatewayService>();
        await app.StartAsync();
        string address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new LoopbackFederation(app, transport, new Uri(address), pki);
    }

    /// <summary>A gRPC client of the site gateway presenting <paramref name="certificate"/>.</summary>
    public SiteGateway.SiteGatewayClient Client(X509Certificate2 certificate)
    {
        TestPki pki = Pki;
        SocketsHttpHandler http = new()
        {
            SslOptions =
            {
                ClientCertificates = [certificate],
                EnabledSslProtocols = SslProtocols.Tls13,
                RemoteCertificateValidationCallback = (_, server, _, _) => server is X509Certificate2 s && pki.Trusts(s),
            },
            EnableMultipleHttp2Connections = true,
        };
        GrpcChannel channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions { HttpHandler = http, MaxReceiveMessageSize = 8 << 20 });
        _channels.Add(channel);
        return new SiteGateway.SiteGatewayClient(channel);
    }

    /// <summary>Starts a node for <paramref name="handler"/>'s site with a certificate from the consortium CA.</summary>
    /// <param name="handler">The node's work.</param>
    /// <param name="certificate">Its certificate; one for the handler's site when null.</param>
    /// <param name="time">The node's clock; the system's when null.</param>
    public SiteNode StartNode(ISiteWorkHandler handler, X509Certificate2? certificate = null, TimeProvider? time = null)
    {
        SiteNode node = new(Client(certificate ?? Pki.Issue(handler.Site.Value)), handler, new SiteNodeOptions { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200) }, time ?? TimeProvider.System, NullLogger.Instance);
        _nodes.Add(Task.Run(() => node.RunAsync(_stop.Token)));
        return node;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _app.StopAsync();
        try
        {
            await Task.WhenAll(_nodes).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (OperationCanceledException)
        {
        }

        foreach (GrpcChannel channel in _channels)
        {
            channel.Dispose();
        }

        await _app.DisposeAsync();
        Pki.Dispose();
        _stop.Dispose();
    }
}

/// <summary>A node handler over an existing agent (no job preparation: the agent is already built).</summary>
internal sealed class AgentHandler(SiteAgent agent, int featureCount = 5) : ISiteWorkHandler
{
    public SiteId Site => agent.Site;

    public ValueTask<JobReadiness> PrepareJobAsync(string jobId, string jobYaml, CancellationToken cancellationToken) =>
        ValueTask.FromResult(new JobReadiness(true, featureCount));

    public ValueTask<SiteReply> HandleAsync(string jobId, SiteTask task, CancellationToken cancellationToken) => agent.HandleAsync(task, cancellationToken);

    public void EndJob(string jobId)
    {
    }
}
