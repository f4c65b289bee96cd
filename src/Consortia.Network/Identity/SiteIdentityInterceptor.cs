using System.Security.Cryptography.X509Certificates;
using Consortia.Federation;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Identity;

/// <summary>
/// The per-call site check of the sites endpoint: on every call (and on every message a server stream
/// writes) the caller's client certificate is checked again with <see cref="CoordinatorIdentity.TryAuthorizeSite"/>,
/// so a revocation made after the connection was opened takes effect on the connection's next call. Refused
/// calls end with <see cref="StatusCode.PermissionDenied"/> and a log line; accepted calls carry the site,
/// read it with <see cref="SiteCallContextExtensions.GetSiteIdentity"/>.
/// </summary>
public sealed partial class SiteIdentityInterceptor(CoordinatorIdentity identity, ILogger<SiteIdentityInterceptor> logger) : Interceptor
{
    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Authorize(context);
        return continuation(request, context);
    }

    /// <inheritdoc />
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Authorize(context);
        return continuation(requestStream, context);
    }

    /// <inheritdoc />
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Authorize(context);
        return continuation(request, new CheckedWriter<TResponse>(responseStream, this, context), context);
    }

    /// <inheritdoc />
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Authorize(context);
        return continuation(requestStream, new CheckedWriter<TResponse>(responseStream, this, context), context);
    }

    private void Authorize(ServerCallContext context)
    {
        X509Certificate2? certificate = context.GetHttpContext().Connection.ClientCertificate;
        if (!identity.TryAuthorizeSite(certificate, out SiteId site, out string problem))
        {
            LogRefused(logger, context.Method, context.Peer, problem);
            throw new RpcException(new Status(StatusCode.PermissionDenied, $"client certificate refused: {problem}"));
        }

        context.UserState[SiteCallContextExtensions.Key] = site;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "refused {Method} from {Peer}: {Problem}")]
    private static partial void LogRefused(ILogger logger, string method, string peer, string problem);

    /// <summary>A server stream whose every message re-checks the caller (long-lived streams see revocations too).</summary>
    private sealed class CheckedWriter<T>(IServerStreamWriter<T> inner, SiteIdentityInterceptor owner, ServerCallContext context) : IServerStreamWriter<T>
    {
        public WriteOptions? WriteOptions
        {
            get => inner.WriteOptions;
            set => inner.WriteOptions = value;
        }

        public Task WriteAsync(T message)
        {
            owner.Authorize(context);
            return inner.WriteAsync(message);
        }

        // Forwarded explicitly: the interface's default implementation refuses cancellable tokens.
        public Task WriteAsync(T message, CancellationToken cancellationToken)
        {
            owner.Authorize(context);
            return inner.WriteAsync(message, cancellationToken);
        }
    }
}

/// <summary>The caller's site on the sites endpoint.</summary>
public static class SiteCallContextExtensions
{
    internal const string Key = "consortia.site";

    /// <summary>The site <see cref="SiteIdentityInterceptor"/> authenticated for this call.</summary>
    /// <exception cref="RpcException">Unauthenticated: the call did not pass the site check (the interceptor is not installed).</exception>
    public static SiteId GetSiteIdentity(this ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.UserState.TryGetValue(Key, out object? value) && value is SiteId site
            ? site
            : throw new RpcException(new Status(StatusCode.Unauthenticated, "the call carries no authenticated site"));
    }
}
