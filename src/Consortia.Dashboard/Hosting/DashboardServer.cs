using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Consortia.Dashboard.Hosting;

/// <summary>
/// A dashboard on its own plain-HTTP listener (HTTP/1.1): the local dashboard of <c>consortia simulate --serve</c>.
/// A coordinator serves the dashboard on its own TLS listener instead (<c>listen.dashboard</c>).
/// </summary>
/// <remarks>Plain HTTP is for loopback: bind it to 127.0.0.1 (the default of <c>--serve</c>); the admin token still guards every page.</remarks>
public sealed class DashboardServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _disposed;

    private DashboardServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>The address it listens on, e.g. <c>http://127.0.0.1:41234/</c> (the port chosen when 0 was asked).</summary>
    public Uri Address { get; }

    /// <summary>Starts a dashboard on <paramref name="endpoint"/>.</summary>
    /// <param name="endpoint">Where to listen (port 0: any free port).</param>
    /// <param name="options">The sources and access rules.</param>
    /// <param name="logging">Configures logging (failed logins are logged here).</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server.</returns>
    /// <exception cref="IOException">The address is in use or cannot be bound.</exception>
    public static async Task<DashboardServer> StartAsync(IPEndPoint endpoint, DashboardOptions options, Action<ILoggingBuilder> logging, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logging);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        logging(builder.Logging);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http1));
        WebApplication app = builder.Build();
        app.MapConsortiaDashboard(options);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        string bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("The dashboard's server reported no address.");
        return new DashboardServer(app, new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal) + "/"));
    }

    /// <summary>Stops the server (once; later calls do nothing).</summary>
    /// <returns>A task that completes when it has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
