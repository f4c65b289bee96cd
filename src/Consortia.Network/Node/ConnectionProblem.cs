using System.Net.Sockets;
using System.Security.Authentication;
using Grpc.Core;

namespace Consortia.Network.Node;

/// <summary>
/// Why a node cannot reach (or was sent away by) the coordinator, in words an IT engineer can act on,
/// instead of the chain of gRPC, HTTP, TLS and socket exceptions underneath.
/// </summary>
/// <param name="Code">A short stable code (for logs, readiness and tests).</param>
/// <param name="Message">What went wrong and what to check.</param>
/// <param name="Lasting">Whether retrying soon cannot help (revoked, duplicate, wrong port): the node then waits the longest backoff.</param>
public sealed record ConnectionProblem(string Code, string Message, bool Lasting)
{
    /// <summary>Describes <paramref name="error"/> from a call to <paramref name="coordinator"/>.</summary>
    /// <param name="error">What the call threw.</param>
    /// <param name="coordinator">The address the node dials (its configuration's <c>coordinator:</c>).</param>
    /// <param name="tlsRefusal">Why the node's own check refused the coordinator's certificate, when it did.</param>
    public static ConnectionProblem Describe(Exception error, string coordinator, string? tlsRefusal = null)
    {
        ArgumentNullException.ThrowIfNull(error);
        string where = Address(coordinator);
        if (error is RpcException rpc)
        {
            switch (rpc.StatusCode)
            {
                case StatusCode.PermissionDenied or StatusCode.Unauthenticated:
                    return rpc.Status.Detail.Contains("revoked", StringComparison.Ordinal)
                        ? new("revoked", $"the coordinator refused this site's certificate: {Detail(rpc)}. The node retries only every few minutes; enroll it again (`consortia node enroll`) with a new token from the coordinator's operator.", true)
                        : new("refused", $"the coordinator refused this site's certificate: {Detail(rpc)}.", true);
                case StatusCode.AlreadyExists:
                    return new("duplicate-identity", Detail(rpc), true);
                case StatusCode.Unimplemented:
                    return new("wrong-endpoint", $"{where} answers TLS but does not serve the site gateway: is this the coordinator's enrollment or admin port? A node's `coordinator:` must be the sites port (coordinator.yaml listen.sites, 7443 by default).", true);
            }
        }

        if (tlsRefusal is { Length: > 0 })
        {
            return new("untrusted-coordinator", $"the server at {where} is not the consortium's coordinator: {tlsRefusal}. Check the host name in `coordinator:` (it must be one the coordinator's certificate names: `consortia provision --host`).", true);
        }

        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.TryAgain or SocketError.NoData }:
                    return new("unknown-host", $"cannot resolve the coordinator's host name in {where}: check `coordinator:` in the node's configuration and the site's DNS.", false);
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return new("connection-refused", $"nothing accepts connections at {where}: is the coordinator running, and is this its sites port (listen.sites)?", false);
                case SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.HostUnreachable or SocketError.NetworkUnreachable } socket:
                    return new("unreachable", $"{where} cannot be reached ({socket.SocketErrorCode}): a firewall or a missing proxy? (set `proxy:` in the node's configuration or HTTPS_PROXY).", false);
                case AuthenticationException when e.Message.Contains("RemoteCertificateValidationCallback", StringComparison.Ordinal):
                    return new("untrusted-coordinator", $"the server at {where} is not the consortium's coordinator: its certificate does not chain to the CA pinned at enrollment or does not name the host dialled.", true);
                case AuthenticationException or IOException when IsNotTls(e):
                    return new("not-tls", $"{where} does not speak TLS: is this the coordinator's health or metrics port? A node's `coordinator:` must be the sites port (coordinator.yaml listen.sites, 7443 by default).", true);
                case HttpRequestException { HttpRequestError: HttpRequestError.ProxyTunnelError }:
                    return new("proxy", $"the HTTP proxy refused to open a tunnel to {where}: {e.Message}", false);
            }
        }

        if (error is RpcException { StatusCode: StatusCode.Unavailable } unavailable)
        {
            return new("unavailable", $"the coordinator at {where} is unavailable: {Detail(unavailable)}.", false);
        }

        return new("connection-lost", $"the connection to {where} was lost: {Innermost(error).Message}", false);
    }

    /// <summary>The coordinator closed the work stream (it is stopping, or replaced the stream).</summary>
    public static ConnectionProblem StreamEnded(string coordinator) =>
        new("stream-ended", $"the coordinator at {Address(coordinator)} closed the work stream (it may be restarting)", false);

    private static bool IsNotTls(Exception e) =>
        e.Message.Contains("frame size", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("unexpected EOF", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("wrong version number", StringComparison.OrdinalIgnoreCase)
        || e.Message.Contains("packet length too long", StringComparison.OrdinalIgnoreCase);

    private static string Detail(RpcException e) => e.Status.Detail.Length > 0 ? e.Status.Detail : e.StatusCode.ToString();

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    private static string Address(string coordinator) =>
        Uri.TryCreate(coordinator, UriKind.Absolute, out Uri? uri) ? $"{uri.Host}:{uri.Port}" : coordinator;
}
