using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Consortia.Network.Coordinator;

/// <summary>
/// Separates the coordinator's endpoint groups (sites, enrollment, admin, health) by the local port the connection
/// arrived on — the listener, with its own TLS settings — never by the <c>Host</c>/<c>:authority</c> header, which
/// the client writes.
/// </summary>
/// <remarks>
/// <c>RequireHost("*:port")</c> matches the client's header, so a client on the enrollment port (TLS without a client
/// certificate) could name the admin port in <c>:authority</c> and reach the admin API or <c>/metrics</c>. Here each
/// endpoint carries the port it belongs to, and a request on any other port is answered 404 before the endpoint runs.
/// An endpoint without a port is refused too: a new endpoint must say where it is served.
/// </remarks>
internal static class LocalPortRouting
{
    /// <summary>Serves the endpoints of <paramref name="builder"/> only on connections accepted on local port <paramref name="port"/>.</summary>
    /// <typeparam name="TBuilder">The endpoint builder.</typeparam>
    /// <param name="builder">The endpoints.</param>
    /// <param name="port">The listener's port.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static TBuilder RequireLocalPort<TBuilder>(this TBuilder builder, int port)
        where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new LocalPortMetadata(port));
        return builder;
    }

    /// <summary>
    /// <see cref="RequireLocalPort"/>, or — only for the red team's weakened coordinator — the old separation by the
    /// client's header (<c>RequireHost("*:port")</c>), which the local-port check then lets through.
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint builder.</typeparam>
    /// <param name="builder">The endpoints.</param>
    /// <param name="port">The listener's port.</param>
    /// <param name="byHostHeader">Whether to separate by the <c>Host</c>/<c>:authority</c> header (red team only).</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static TBuilder On<TBuilder>(this TBuilder builder, int port, bool byHostHeader)
        where TBuilder : IEndpointConventionBuilder =>
        byHostHeader ? builder.RequireHost($"*:{port}").WithMetadata(s_anyPort) : builder.RequireLocalPort(port);

    private static readonly LocalPortMetadata s_anyPort = new(AnyPort);

    private const int AnyPort = -1;

    /// <summary>Adds the check to the pipeline (after routing, before the endpoints run).</summary>
    /// <param name="app">The application.</param>
    public static void UseLocalPortSeparation(this WebApplication app)
    {
        app.UseRouting();
        app.Use(static (context, next) =>
        {
            Endpoint? endpoint = context.GetEndpoint();
            if (endpoint is not null && (endpoint.Metadata.GetMetadata<LocalPortMetadata>()?.Port is not int port || (port != AnyPort && port != context.Connection.LocalPort)))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
    }

    /// <summary>The local port an endpoint is served on.</summary>
    /// <param name="Port">The port.</param>
    private sealed record LocalPortMetadata(int Port);
}
