using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Identity;

/// <summary>
/// The admin API's bearer credential (<c>admin.token</c>: 256 random bits, base64url). Calls carry it as
/// <c>authorization: Bearer &lt;token&gt;</c>; the check compares SHA-256 digests with
/// <see cref="CryptographicOperations.FixedTimeEquals"/>, so its time does not depend on the guess.
/// </summary>
public sealed partial class AdminCredential
{
    private const string Scheme = "Bearer ";
    private readonly string _path;
    private readonly Lock _gate = new();
    private byte[] _digest;
    private DateTime _written;

    private AdminCredential(string path, string token, DateTime written)
    {
        _path = path;
        _digest = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        _written = written;
    }

    /// <summary>
    /// Reads the credential from <paramref name="path"/> (an <c>admin.token</c> file). When the file is replaced
    /// later (<see cref="Rotate"/>), the next check reads it again: a rotation takes effect without a restart.
    /// </summary>
    /// <exception cref="IdentityException">The file is missing or empty.</exception>
    public static AdminCredential Load(string path)
    {
        string token = ReadToken(path);
        return new AdminCredential(path, token, File.GetLastWriteTimeUtc(path));
    }

    /// <summary>
    /// Replaces the credential in <paramref name="path"/> with a new random one (written beside it with mode 0600,
    /// then moved over it, so a reader never sees a partial file).
    /// </summary>
    /// <returns>The new token.</returns>
    /// <exception cref="IdentityException">The file does not exist (this is not a coordinator home).</exception>
    public static string Rotate(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new IdentityException($"{path}: missing; the admin credential is in the coordinator home made by `consortia provision`");
        }

        string token = NewToken();
        string next = path + IdentityFiles.NextSuffix;
        File.Delete(next);
        IdentityFiles.WriteNew(next, token + "\n", secret: true);
        File.Move(next, path, overwrite: true);
        return token;
    }

    /// <summary>Reads the token text of an <c>admin.token</c> file (for clients: see <see cref="Headers"/>).</summary>
    /// <exception cref="IdentityException">The file is missing or empty.</exception>
    public static string ReadToken(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new IdentityException($"{path}: missing; the admin credential is in the coordinator home made by `consortia provision`");
        }

        string token = File.ReadAllText(path).Trim();
        return token.Length == 0 ? throw new IdentityException($"{path}: empty admin credential") : token;
    }

    /// <summary>Whether <paramref name="authorization"/> (an <c>authorization</c> header value) carries the credential.</summary>
    public bool IsValid(string? authorization)
    {
        if (authorization is null || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        byte[] presented = SHA256.HashData(Encoding.UTF8.GetBytes(authorization.AsSpan(Scheme.Length).Trim().ToString()));
        return CryptographicOperations.FixedTimeEquals(presented, Current());
    }

    /// <summary>Throws unless the call carries the credential.</summary>
    /// <exception cref="RpcException">Unauthenticated: the credential is missing or wrong.</exception>
    public void Check(ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        string? header = context.RequestHeaders.GetValue("authorization");
        if (header is null)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the admin credential is missing (authorization: Bearer <admin.token>)"));
        }

        if (!IsValid(header))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "the admin credential is wrong"));
        }
    }

    /// <summary>Call headers carrying <paramref name="token"/>, for admin clients.</summary>
    public static Metadata Headers(string token)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        return new Metadata { { "authorization", Scheme + token.Trim() } };
    }

    /// <summary>Call credentials carrying <paramref name="token"/> on every call of a TLS channel, for admin clients.</summary>
    public static CallCredentials CallCredentials(string token)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(token);
        string value = Scheme + token.Trim();
        return Grpc.Core.CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", value);
            return Task.CompletedTask;
        });
    }

    /// <summary>A fresh credential: 256 random bits in base64url.</summary>
    /// <summary>The digest of the credential in the file now (read again when the file was replaced).</summary>
    private byte[] Current()
    {
        lock (_gate)
        {
            DateTime written = File.Exists(_path) ? File.GetLastWriteTimeUtc(_path) : _written;
            if (written != _written)
            {
                try
                {
                    _digest = SHA256.HashData(Encoding.UTF8.GetBytes(ReadToken(_path)));
                    _written = written;
                }
                catch (Exception e) when (e is IdentityException or IOException)
                {
                    // Mid-replacement or emptied by hand: keep the credential in force until a readable one appears.
                }
            }

            return _digest;
        }
    }

    internal static string NewToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
}

/// <summary>
/// Requires the admin credential on every call of the services it is attached to (e.g.
/// <c>AddGrpc().AddServiceOptions&lt;JobAdminService&gt;(o =&gt; o.Interceptors.Add&lt;AdminCredentialInterceptor&gt;())</c>
/// with an <see cref="AdminCredential"/> singleton registered). Refusals end with
/// <see cref="StatusCode.Unauthenticated"/> and a log line.
/// </summary>
public sealed partial class AdminCredentialInterceptor(AdminCredential credential, ILogger<AdminCredentialInterceptor> logger) : Interceptor
{
    /// <inheritdoc />
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context);
        return continuation(request, context);
    }

    /// <inheritdoc />
    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context);
        return continuation(requestStream, context);
    }

    /// <inheritdoc />
    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context);
        return continuation(request, responseStream, context);
    }

    /// <inheritdoc />
    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    private void Check(ServerCallContext context)
    {
        try
        {
            credential.Check(context);
        }
        catch (RpcException e)
        {
            LogRefused(logger, context.Method, context.Peer, e.Status.Detail);
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "refused admin call {Method} from {Peer}: {Problem}")]
    private static partial void LogRefused(ILogger logger, string method, string peer, string problem);
}
