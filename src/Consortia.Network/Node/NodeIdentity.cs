using Consortia.Network.Configuration;
using Consortia.Network.Identity;
using Consortia.Network.Transport;

namespace Consortia.Network.Node;

/// <summary>The TLS client a node uses to reach the coordinator, from its enrolled identity.</summary>
public static class NodeIdentity
{
    /// <summary>
    /// An HTTP handler for the coordinator: the site's client certificate, TLS 1.3, the coordinator pinned to
    /// the consortium CA (<see cref="MutualTls.CreateSiteHandler"/>), and HTTP/2 keep-alive pings so that a cut
    /// link is noticed within seconds rather than at the operating system's TCP timeout.
    /// </summary>
    /// <exception cref="ConfigurationException">The identity is missing or is not the configured site's.</exception>
    public static SocketsHttpHandler CreateCoordinatorHandler(NodeConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        SiteCredentials credentials;
        try
        {
            credentials = SiteCredentials.Load(config.Identity, config.Site);
        }
        catch (IdentityException e)
        {
            throw new ConfigurationException($"{config.Identity}: {e.Message} (enroll the site with `consortia node enroll --coordinator URL --token T --out {config.Identity}`).", e);
        }

        SocketsHttpHandler handler = MutualTls.CreateSiteHandler(credentials, TimeProvider.System);
        handler.PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan;
        Http2Tuning.Apply(handler);
        handler.ConnectTimeout = TimeSpan.FromSeconds(10);
        handler.EnableMultipleHttp2Connections = true;
        return handler;
    }
}
