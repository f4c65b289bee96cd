using System.Net;
using Consortia.Dashboard;
using Consortia.Network.Configuration;
using Consortia.Network.Transport;
using Consortia.Stores.PostgreSql;
using Npgsql;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Consortia.Network.Coordinator;

/// <summary>
/// <c>consortia coordinator</c>: the coordinator process. Four endpoints, each with one job: sites (gRPC,
/// mutual TLS), enrollment (gRPC, TLS, one-time tokens), admin (gRPC, TLS and the admin credential) and
/// health (plain HTTP <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>). Jobs run one at a time from the
/// SQLite job store and resume from their last completed round after a restart.
/// </summary>
public static partial class CoordinatorHost
{
    /// <summary>How often the active replica checks the connection that holds its lock.</summary>
    private static readonly TimeSpan s_lockCheck = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Runs the coordinator until <paramref name="cancellationToken"/> or SIGTERM stops it. With PostgreSQL the process
    /// first becomes the active replica: while another replica holds the database lock it is a standby that serves only
    /// its health endpoint (<c>/readyz</c> answers 503 <c>standby</c>; the sites, enrollment and admin ports are not
    /// bound), and it takes over when the lock is released. With SQLite a second coordinator on the same home is refused.
    /// </summary>
    /// <param name="config">The configuration.</param>
    /// <param name="logging">Configures logging (the CLI adds its console sink).</param>
    /// <param name="cancellationToken">Stops the coordinator (or the standby's wait).</param>
    /// <returns>0 after a normal stop; 1 when the active replica lost its database lock and stopped so a standby can take over.</returns>
    /// <exception cref="ConfigurationException">Another coordinator runs on this SQLite home.</exception>
    public static async Task<int> RunAsync(CoordinatorConfig config, Action<ILoggingBuilder> logging, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(logging);
        IAsyncDisposable exclusive;
        try
        {
            exclusive = config.Store.IsPostgreSql
                ? await BecomeActiveAsync(config, logging, cancellationToken).ConfigureAwait(false)
                : HoldHome(config.Home);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 0; // stopped while standby
        }

        await using IAsyncDisposable released = exclusive;

        await using WebApplication app = Build(config, logging);
        ILogger log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("consortia.coordinator");
        CoordinatorLock? held = exclusive as CoordinatorLock;
        using CancellationTokenRegistration onLost = held?.Lost.Register(() =>
        {
            LogLockLost(log, held.LostReason ?? "unknown");
            app.Lifetime.StopApplication();
        }) ?? default;
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        return held?.Lost.IsCancellationRequested == true ? 1 : 0;
    }

    /// <summary>Waits for the PostgreSQL lock, serving <c>/healthz</c> and a not-ready <c>/readyz</c> meanwhile.</summary>
    private static async Task<IAsyncDisposable> BecomeActiveAsync(CoordinatorConfig config, Action<ILoggingBuilder> logging, CancellationToken cancellationToken)
    {
        (string healthHost, int healthPort) = ConfigFile.Endpoint(config.Listen.Health, "listen.health");
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        logging(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(Address(healthHost), healthPort, listen => listen.Protocols = HttpProtocols.Http1));
        await using WebApplication standby = builder.Build();
        standby.MapGet("/healthz", () => Results.Text("ok\n"));
        standby.MapGet("/readyz", () => Results.Text("standby\n", statusCode: StatusCodes.Status503ServiceUnavailable));
        ILogger log = standby.Services.GetRequiredService<ILoggerFactory>().CreateLogger("consortia.coordinator");
        string connection = config.Store.ResolveConnection();
        string where = PostgresJobStoreOptions.Describe(connection);
        await standby.StartAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CoordinatorLock held = await CoordinatorLock.AcquireAsync(connection, s_lockCheck, TimeProvider.System, () => LogStandby(log, where, healthPort), cancellationToken).ConfigureAwait(false);
            LogActive(log, where);
            return held;
        }
        catch (NpgsqlException e)
        {
            throw new ConfigurationException($"store: cannot reach PostgreSQL ({where}) to take the coordinator lock: {e.Message}", e);
        }
        finally
        {
            await standby.StopAsync(CancellationToken.None).ConfigureAwait(false); // frees the health port for the active host
        }
    }

    /// <summary>SQLite: one coordinator per home, held by an exclusive lock on <c>coordinator.lock</c> (released by the kernel even after kill -9).</summary>
    private static FileStream HoldHome(string home)
    {
        string path = Path.Combine(home, "coordinator.lock");
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (e is not (DirectoryNotFoundException or FileNotFoundException))
        {
            throw new ConfigurationException($"{home}: another coordinator is running on this home ({path} is locked). With the SQLite store one coordinator serves a home; stop the other one, or use store: postgresql for an active and a standby replica.", e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "coordinator standby: another coordinator holds the lock on the PostgreSQL store ({Store}); waiting to take over (health :{Health} says not ready)")]
    private static partial void LogStandby(ILogger log, string store, int health);

    [LoggerMessage(Level = LogLevel.Information, Message = "coordinator active: holds the lock on the PostgreSQL store ({Store})")]
    private static partial void LogActive(ILogger log, string store);

    [LoggerMessage(Level = LogLevel.Critical, Message = "coordinator stopping: {Reason}; a standby may take over")]
    private static partial void LogLockLost(ILogger log, string reason);

    /// <summary>Builds the coordinator's web application (not started).</summary>
    /// <param name="config">The configuration.</param>
    /// <param name="logging">Configures logging (the CLI adds its console sink).</param>
    /// <returns>The application; run it with <c>RunAsync</c> and stop it with the cancellation token or SIGTERM.</returns>
    public static WebApplication Build(CoordinatorConfig config, Action<ILoggingBuilder> logging) => Build(config, logging, routeByHostHeader: false);

    /// <summary>Builds the coordinator; with <paramref name="routeByHostHeader"/> its endpoint groups are separated by the
    /// client's <c>Host</c>/<c>:authority</c> header instead of the local port (the weakness of issue 12, attack 7).</summary>
    /// <remarks>Red team only (<c>consortia redteam coordinator --unprotected</c>): internal, so no configuration can ask for it.</remarks>
    internal static WebApplication Build(CoordinatorConfig config, Action<ILoggingBuilder> logging, bool routeByHostHeader)
    {
        ArgumentNullException.ThrowIfNull(config);
        CoordinatorServices services = CoordinatorServices.Open(config, TimeProvider.System);
        (string sitesHost, int sitesPort) = ConfigFile.Endpoint(config.Listen.Sites, "listen.sites");
        (string enrollHost, int enrollPort) = ConfigFile.Endpoint(config.Listen.Enrollment, "listen.enrollment");
        (string adminHost, int adminPort) = ConfigFile.Endpoint(config.Listen.Admin, "listen.admin");
        (string healthHost, int healthPort) = ConfigFile.Endpoint(config.Listen.Health, "listen.health");
        (string Host, int Port)? dashboard = config.Listen.Dashboard is { } d ? ConfigFile.Endpoint(d, "listen.dashboard") : null;

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        logging(builder.Logging);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(20));
        builder.Services.AddGrpc(o =>
        {
            o.MaxReceiveMessageSize = 4 << 20; // vectors arrive in 1 MiB chunks
            o.EnableDetailedErrors = false;
        });
        services.Register(builder.Services);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null; // streams, bounded per message by gRPC
            // Wide flow-control windows for chunked models; pings find dead links (a cut cable does not close a TCP connection).
            Http2Tuning.Apply(kestrel.Limits);
            kestrel.Listen(Address(sitesHost), sitesPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                services.Identity.UseSiteTls(listen);
            });
            kestrel.Listen(Address(enrollHost), enrollPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                services.Identity.UseServerTls(listen);
            });
            kestrel.Listen(Address(adminHost), adminPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                services.Identity.UseServerTls(listen);
            });
            kestrel.Listen(Address(healthHost), healthPort, listen => listen.Protocols = HttpProtocols.Http1);
            if (dashboard is { } web)
            {
                // HTTP/1.1 over TLS with the server certificate: what browsers and server-sent events need.
                kestrel.Listen(Address(web.Host), web.Port, listen =>
                {
                    listen.Protocols = HttpProtocols.Http1;
                    services.Identity.UseServerTls(listen);
                });
            }
        });

        WebApplication app = builder.Build();
        // By the port the connection arrived on (its listener and TLS settings), never by the client's :authority header.
        app.UseLocalPortSeparation();
        app.MapGrpcService<SiteGatewayService>().On(sitesPort, routeByHostHeader);
        services.Identity.MapRenewal(app).On(sitesPort, routeByHostHeader);
        services.Identity.MapRoster(app).On(sitesPort, routeByHostHeader);
        services.Identity.MapEnrollment(app).On(enrollPort, routeByHostHeader);
        app.MapGrpcService<JobAdminService>().On(adminPort, routeByHostHeader);
        app.MapGet("/healthz", () => Results.Text("ok\n")).On(healthPort, routeByHostHeader);
        app.MapGet("/readyz", (CoordinatorJobLoop loop) => loop.IsReady
            ? Results.Text("ready\n")
            : Results.Text("starting\n", statusCode: StatusCodes.Status503ServiceUnavailable)).On(healthPort, routeByHostHeader);
        app.MapMetrics("/metrics", services.Metrics.Registry).On(healthPort, routeByHostHeader);
        ILogger log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("consortia.coordinator");
        if (dashboard is { } served)
        {
            app.MapConsortiaDashboard(CoordinatorDashboard.Options(services, log, TimeProvider.System)).On(served.Port, routeByHostHeader);
        }

        app.Lifetime.ApplicationStopped.Register(services.Dispose);
        app.Lifetime.ApplicationStarted.Register(() => LogReady(log, sitesPort, enrollPort, adminPort, healthPort, dashboard is { } web ? $", dashboard https :{web.Port}" : ""));
        return app;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "coordinator ready: sites :{Sites}, enrollment :{Enrollment}, admin :{Admin}, health :{Health}{Dashboard}")]
    private static partial void LogReady(ILogger log, int sites, int enrollment, int admin, int health, string dashboard);

    private static IPAddress Address(string host) => host switch
    {
        "0.0.0.0" or "*" => IPAddress.Any,
        "localhost" => IPAddress.Loopback,
        _ => IPAddress.Parse(host),
    };
}
