using System.Net;
using Consortia.Network.Configuration;
using Consortia.Network.Transport;
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
    /// <summary>Builds the coordinator's web application (not started).</summary>
    /// <param name="config">The configuration.</param>
    /// <param name="logging">Configures logging (the CLI adds its console sink).</param>
    /// <returns>The application; run it with <c>RunAsync</c> and stop it with the cancellation token or SIGTERM.</returns>
    public static WebApplication Build(CoordinatorConfig config, Action<ILoggingBuilder> logging)
    {
        ArgumentNullException.ThrowIfNull(config);
        CoordinatorServices services = CoordinatorServices.Open(config, TimeProvider.System);
        (string sitesHost, int sitesPort) = ConfigFile.Endpoint(config.Listen.Sites, "listen.sites");
        (string enrollHost, int enrollPort) = ConfigFile.Endpoint(config.Listen.Enrollment, "listen.enrollment");
        (string adminHost, int adminPort) = ConfigFile.Endpoint(config.Listen.Admin, "listen.admin");
        (string healthHost, int healthPort) = ConfigFile.Endpoint(config.Listen.Health, "listen.health");

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
        });

        WebApplication app = builder.Build();
        app.MapGrpcService<SiteGatewayService>().RequireHost($"*:{sitesPort}");
        services.Identity.MapEnrollment(app).RequireHost($"*:{enrollPort}");
        app.MapGrpcService<JobAdminService>().RequireHost($"*:{adminPort}");
        app.MapGet("/healthz", () => Results.Text("ok\n")).RequireHost($"*:{healthPort}");
        app.MapGet("/readyz", (CoordinatorJobLoop loop) => loop.IsReady
            ? Results.Text("ready\n")
            : Results.Text("starting\n", statusCode: StatusCodes.Status503ServiceUnavailable)).RequireHost($"*:{healthPort}");
        app.MapMetrics("/metrics", services.Metrics.Registry).RequireHost($"*:{healthPort}");
        app.Lifetime.ApplicationStopped.Register(services.Dispose);
        ILogger log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("consortia.coordinator");
        app.Lifetime.ApplicationStarted.Register(() => LogReady(log, sitesPort, enrollPort, adminPort, healthPort));
        return app;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "coordinator ready: sites :{Sites}, enrollment :{Enrollment}, admin :{Admin}, health :{Health}")]
    private static partial void LogReady(ILogger log, int sites, int enrollment, int admin, int health);

    private static IPAddress Address(string host) => host switch
    {
        "0.0.0.0" or "*" => IPAddress.Any,
        "localhost" => IPAddress.Loopback,
        _ => IPAddress.Parse(host),
    };
}
