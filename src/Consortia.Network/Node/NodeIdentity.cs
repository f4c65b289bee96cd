using System.Net;
using Consortia.Network.Configuration;
using Consortia.Network.Identity;
using Consortia.Network.Transport;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Node;

/// <summary>
/// A node's connection settings to the coordinator, from its enrolled identity: the site's client certificate,
/// TLS 1.3 with the coordinator pinned to the consortium CA, the HTTP proxy (<c>proxy:</c> or <c>HTTPS_PROXY</c>),
/// and HTTP/2 keep-alive pings so that a cut link is noticed within seconds. After a certificate renewal,
/// <see cref="Reload"/> opens a channel with the new certificate (a TLS connection keeps the certificate it began with).
/// </summary>
public sealed class NodeIdentity : IDisposable
{
    private readonly NodeConfig _config;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory? _loggers;
    private readonly List<IDisposable> _retired = [];
    private volatile string? _tlsRefusal;

    private NodeIdentity(NodeConfig config, SiteCredentials credentials, TimeProvider time, ILoggerFactory? loggers)
    {
        _config = config;
        _time = time;
        _loggers = loggers;
        Credentials = credentials;
        Channel = Open(credentials);
    }

    /// <summary>The credentials in use.</summary>
    public SiteCredentials Credentials { get; private set; }

    /// <summary>The channel to the coordinator's sites endpoint with <see cref="Credentials"/>.</summary>
    public GrpcChannel Channel { get; private set; }

    /// <summary>Why the node's TLS check last refused the coordinator's certificate; null when it accepted it.</summary>
    public string? TlsRefusal => _tlsRefusal;

    /// <summary>Loads the identity folder of <paramref name="config"/>.</summary>
    /// <exception cref="ConfigurationException">The identity is missing, is not the configured site's, or its certificate has expired.</exception>
    public static NodeIdentity Load(NodeConfig config, TimeProvider time, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(time);
        return new NodeIdentity(config, LoadCredentials(config, time), time, loggers);
    }

    /// <summary>
    /// An HTTP handler for the coordinator with <paramref name="credentials"/>: TLS 1.3, the coordinator pinned to the
    /// consortium CA (<see cref="MutualTls.CreateSiteHandler"/>), the configured proxy, keep-alive pings.
    /// </summary>
    /// <param name="credentials">The site's credentials.</param>
    /// <param name="config">The node's configuration (its <c>proxy:</c>).</param>
    /// <param name="time">The clock certificates are checked at.</param>
    /// <param name="onServerCheck">Told why the coordinator's certificate was refused (null when accepted).</param>
    public static SocketsHttpHandler CreateHandler(SiteCredentials credentials, NodeConfig config, TimeProvider time, Action<string?>? onServerCheck = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        ArgumentNullException.ThrowIfNull(config);
        SocketsHttpHandler handler = MutualTls.CreateSiteHandler(credentials, time, onServerCheck);
        handler.PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan;
        Http2Tuning.Apply(handler);
        handler.ConnectTimeout = TimeSpan.FromSeconds(10);
        handler.EnableMultipleHttp2Connections = true;
        if (config.Proxy is { Length: > 0 } proxy)
        {
            // The hospital's proxy: the TLS session runs end to end inside its CONNECT tunnel, so the proxy sees
            // neither the certificates' keys nor the traffic. Loopback is not bypassed: the configuration says so.
            handler.Proxy = new WebProxy(new Uri(proxy)) { BypassProxyOnLocal = false };
            handler.UseProxy = true;
        }

        // Otherwise the default proxy applies: HTTPS_PROXY / NO_PROXY from the environment, if set.
        return handler;
    }

    /// <summary>Reloads the identity folder (after a renewal) and opens a new channel with it; the previous one is disposed with this object.</summary>
    /// <returns>The new channel.</returns>
    public GrpcChannel Reload()
    {
        SiteCredentials fresh = LoadCredentials(_config, _time);
        _retired.Add(Channel);
        _retired.Add(Credentials);
        Credentials = fresh;
        Channel = Open(fresh);
        return Channel;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Channel.Dispose();
        Credentials.Dispose();
        foreach (IDisposable retired in _retired)
        {
            retired.Dispose();
        }
    }

    // An HttpClient rather than the handler: with a handler, gRPC's client-side load balancing takes over the
    // connections and breaks proxies ("Unable to get subchannel from HttpRequestMessage", grpc-dotnet #2254).
    // No timeout: the work stream lives for hours.
    private GrpcChannel Open(SiteCredentials credentials) => GrpcChannel.ForAddress(_config.Coordinator, new GrpcChannelOptions
    {
        HttpClient = new HttpClient(CreateHandler(credentials, _config, _time, problem => _tlsRefusal = problem)) { Timeout = Timeout.InfiniteTimeSpan },
        DisposeHttpClient = true,
        LoggerFactory = _loggers,
        MaxReceiveMessageSize = 8 << 20,
    });

    private static SiteCredentials LoadCredentials(NodeConfig config, TimeProvider time)
    {
        SiteCredentials credentials;
        try
        {
            credentials = SiteCredentials.Load(config.Identity, config.Site);
        }
        catch (IdentityException e)
        {
            throw new ConfigurationException($"{config.Identity}: {e.Message} (enroll the site with `consortia node enroll --coordinator URL --token T --out {config.Identity}`).", e);
        }

        DateTimeOffset notAfter = credentials.Certificate.NotAfter.ToUniversalTime();
        if (time.GetUtcNow() > notAfter)
        {
            credentials.Dispose();
            throw new ConfigurationException($"{config.Identity}: the certificate of site '{config.Site}' expired at {notAfter:yyyy-MM-dd HH:mm}Z, so the coordinator refuses it and it cannot be renewed; enroll the site again with a new token (`consortia token create --site {config.Site}` on the coordinator, then `consortia node enroll`) into an empty folder.");
        }

        return credentials;
    }
}
