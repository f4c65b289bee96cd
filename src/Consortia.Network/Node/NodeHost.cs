using System.Net;
using Consortia.Network.Configuration;
using Consortia.Network.Protos;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Consortia.Network.Node;

/// <summary>
/// <c>consortia node run</c>: a site node process. Dials the coordinator with the site's certificate, pulls and
/// answers work until stopped, and serves <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c> on its health
/// endpoint (plain HTTP, for the orchestrator's probes; no inbound access to the site's data or work).
/// </summary>
public static partial class NodeHost
{
    /// <summary>Runs the node until <paramref name="cancellationToken"/> fires (graceful shutdown).</summary>
    /// <param name="config">The node's configuration.</param>
    /// <param name="coordinatorHandler">The HTTP handler carrying the site's client certificate and the pinned CA.</param>
    /// <param name="logging">Configures logging (the CLI adds its console sink).</param>
    /// <param name="cancellationToken">Stops the node.</param>
    public static async Task RunAsync(NodeConfig config, HttpMessageHandler coordinatorHandler, Action<ILoggingBuilder> logging, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        using ILoggerFactory loggerFactory = LoggerFactory.Create(logging);
        ILogger log = loggerFactory.CreateLogger("consortia.node");
        using GrpcChannel channel = GrpcChannel.ForAddress(config.Coordinator, new GrpcChannelOptions
        {
            HttpHandler = coordinatorHandler,
            LoggerFactory = loggerFactory,
            MaxReceiveMessageSize = 8 << 20,
        });
        using SiteJobHandler handler = new(config, TimeProvider.System, log);
        SiteNode node = new(new SiteGateway.SiteGatewayClient(channel), handler, new SiteNodeOptions { MaxConcurrentTasks = config.MaxConcurrentTasks }, TimeProvider.System, log);

        CollectorRegistry registry = Metrics.NewCustomRegistry();
        MetricFactory metrics = Metrics.WithCustomRegistry(registry);
        Counter connections = metrics.CreateCounter("consortia_node_connections_total", "Times the node opened its work stream to the coordinator.");
        node.Connected += (_, _) => connections.Inc();

        WebApplication? health = null;
        if (config.Health is { Length: > 0 } endpoint)
        {
            health = BuildHealth(endpoint, node, handler, registry, logging);
            await health.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        LogStarting(log, config.Site, config.Coordinator);
        try
        {
            await node.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (health is not null)
            {
                await health.StopAsync(CancellationToken.None).ConfigureAwait(false);
                await health.DisposeAsync().ConfigureAwait(false);
            }

            LogStopped(log, config.Site);
        }
    }

    private static WebApplication BuildHealth(string endpoint, SiteNode node, SiteJobHandler handler, CollectorRegistry registry, Action<ILoggingBuilder> logging)
    {
        (string host, int port) = ConfigFile.Endpoint(endpoint, "health");
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        logging(builder.Logging);
        builder.WebHost.ConfigureKestrel(k => k.Listen(host is "0.0.0.0" or "*" ? IPAddress.Any : IPAddress.Parse(host), port));
        WebApplication app = builder.Build();
        app.MapGet("/healthz", () => Results.Text("ok\n"));
        app.MapGet("/readyz", () => node.IsConnected
            ? Results.Text($"ready: connected {node.Connections} time(s); jobs {(handler.Jobs.Count == 0 ? "none" : string.Join(", ", handler.Jobs))}\n")
            : Results.Text("not connected to the coordinator\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapMetrics("/metrics", registry);
        return app;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "node {Site} starting; coordinator {Coordinator}")]
    private static partial void LogStarting(ILogger log, string site, string coordinator);

    [LoggerMessage(Level = LogLevel.Information, Message = "node {Site} stopped")]
    private static partial void LogStopped(ILogger log, string site);
}
