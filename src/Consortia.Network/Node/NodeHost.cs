using System.Net;
using Consortia.Network.Configuration;
using Consortia.Network.Protos;
using Consortia.Network.Identity;
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
    /// <summary>How long the roster fetch before a new job may take before the job goes ahead with the accepted roster.</summary>
    private static readonly TimeSpan RosterFetchBeforeJob = TimeSpan.FromSeconds(10);

    /// <summary>Runs the node until <paramref name="cancellationToken"/> fires (graceful shutdown).</summary>
    /// <param name="config">The node's configuration.</param>
    /// <param name="logging">Configures logging (the CLI adds its console sink).</param>
    /// <param name="time">The clock (the system clock at the composition root).</param>
    /// <param name="cancellationToken">Stops the node.</param>
    /// <exception cref="ConfigurationException">The identity folder is missing, another site's, or its certificate expired.</exception>
    public static async Task RunAsync(NodeConfig config, Action<ILoggingBuilder> logging, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        using ILoggerFactory loggerFactory = LoggerFactory.Create(logging);
        ILogger log = loggerFactory.CreateLogger("consortia.node");
        using NodeIdentity identity = NodeIdentity.Load(config, time, loggerFactory);
        using SiteJobHandler handler = new(config, time, log);
        SiteNode node = new(new SiteGateway.SiteGatewayClient(identity.Channel), handler, new SiteNodeOptions
        {
            MaxConcurrentTasks = config.MaxConcurrentTasks,
            ExamplesPerSecond = config.Capacity?.ExamplesPerSecond ?? 0, // 0: the node measures its speed from its training tasks
            Coordinator = config.Coordinator,
            TlsRefusal = () => identity.TlsRefusal,
        }, time, log);
        CertificateRenewalLoop renewal = new(identity, config.Identity, node, time, log) { RosterKey = handler.SigningKey() };
        // The roster the coordinator proposes: fetched at each connection and periodically, accepted per the policy.
        using RosterFetchLoop rosters = new(() => identity.Channel.CreateCallInvoker(), config, handler.Ledger, time, log, new Random(System.Security.Cryptography.RandomNumberGenerator.GetInt32(int.MaxValue)));
        node.Connected += (_, _) => rosters.FetchSoon();
        // And before each new job: a member who joined since the last fetch takes part from the consortium's next job.
        handler.BeforePrepare = async (membership, cancellationToken) =>
        {
            using CancellationTokenSource timer = new(RosterFetchBeforeJob, time);
            using CancellationTokenSource limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
            try
            {
                await rosters.FetchOnceAsync(membership, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // No answer in time: the job is prepared with the roster already accepted.
            }
        };

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

        DateTimeOffset renewAt = NodeRenewal.DueAt(identity.Credentials.Certificate);
        string serial = identity.Credentials.Certificate.SerialNumber;
        LogStarting(log, config.Site, config.Coordinator, serial, renewAt);
        try
        {
            Task renewing = renewal.RunAsync(cancellationToken);
            Task fetching = rosters.RunAsync(cancellationToken);
            await node.RunAsync(cancellationToken).ConfigureAwait(false);
            await renewing.ConfigureAwait(false);
            await fetching.ConfigureAwait(false);
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
            : Results.Text($"not connected to the coordinator{(node.Problem is { } problem ? $" ({problem.Code}): {problem.Message}" : "")}\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        app.MapMetrics("/metrics", registry);
        return app;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "node {Site} starting; coordinator {Coordinator}; certificate {Serial}, renewed automatically from {RenewAt:yyyy-MM-dd HH:mm}Z")]
    private static partial void LogStarting(ILogger log, string site, string coordinator, string serial, DateTimeOffset renewAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "node {Site} stopped")]
    private static partial void LogStopped(ILogger log, string site);
}
