using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace Consortia.Network.Identity;

/// <summary>
/// TLS settings for the coordinator's endpoints and the nodes' and operators' clients. TLS 1.3 only; the
/// consortium CA is the only trust anchor on both sides (no system trust store); revocation is Consortia's
/// own list (<c>identity.db</c>), so X.509 online revocation checking is off.
/// </summary>
public static class MutualTls
{
    /// <summary>
    /// The sites endpoint: TLS 1.3, the coordinator's certificate, client certificates required and accepted
    /// only if <see cref="CoordinatorIdentity.AcceptsAtHandshake"/> accepts them (CA, ClientAuth, validity,
    /// issued here); a revoked certificate is refused on its first call, with a message that says so.
    /// </summary>
    public static void UseSiteTls(ListenOptions listen, CoordinatorIdentity identity)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(identity);
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = identity.Coordinator,
            SslProtocols = SslProtocols.Tls13,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            CheckCertificateRevocation = false,
            ClientCertificateValidation = (certificate, _, _) => identity.AcceptsAtHandshake(certificate),
        });
    }

    /// <summary>An endpoint with TLS 1.3 server authentication only (enrollment, admin).</summary>
    public static void UseServerTls(ListenOptions listen, X509Certificate2 serverCertificate)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(serverCertificate);
        listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = serverCertificate,
            SslProtocols = SslProtocols.Tls13,
            ClientCertificateMode = ClientCertificateMode.NoCertificate,
        });
    }

    /// <summary>
    /// A handler for a site node: TLS 1.3, the site's client certificate, and the coordinator accepted only
    /// if its certificate chains to the consortium CA, carries ServerAuth and names the host dialled.
    /// </summary>
    /// <param name="credentials">The site's certificate and the pinned CA.</param>
    /// <param name="time">The clock the coordinator's certificate is checked at.</param>
    /// <param name="onServerCheck">Told why the coordinator's certificate was refused, or null when it was accepted (for the node's messages).</param>
    public static SocketsHttpHandler CreateSiteHandler(SiteCredentials credentials, TimeProvider time, Action<string?>? onServerCheck = null)
    {
        ArgumentNullException.ThrowIfNull(credentials);
        SocketsHttpHandler handler = CreatePinnedHandler(credentials.Ca, time, onServerCheck);
        handler.SslOptions.ClientCertificates = [credentials.Certificate];
        return handler;
    }

    /// <summary>
    /// A handler that trusts only servers whose certificate chains to <paramref name="ca"/> (TLS 1.3,
    /// ServerAuth, host name checked); no client certificate. For the admin API's clients.
    /// </summary>
    /// <param name="ca">The pinned consortium CA.</param>
    /// <param name="time">The clock the server's certificate is checked at.</param>
    /// <param name="onServerCheck">Told why the server's certificate was refused, or null when it was accepted.</param>
    public static SocketsHttpHandler CreatePinnedHandler(X509Certificate2 ca, TimeProvider time, Action<string?>? onServerCheck = null)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(time);
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, server, _, errors) =>
                {
                    bool trusted = IsTrustedServer(server, errors, ca, time.GetUtcNow(), out string problem);
                    onServerCheck?.Invoke(trusted ? null : problem);
                    return trusted;
                },
            },
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            EnableMultipleHttp2Connections = true,
        };
    }

    /// <summary>
    /// Whether a server's certificate is acceptable: it names the host dialled (no
    /// <see cref="SslPolicyErrors.RemoteCertificateNameMismatch"/>), chains to <paramref name="ca"/> alone and
    /// carries ServerAuth. Other <paramref name="errors"/> (an untrusted root by the system's store) are ignored:
    /// the chain is rebuilt against the pinned CA.
    /// </summary>
    public static bool IsTrustedServer(X509Certificate? server, SslPolicyErrors errors, X509Certificate2 ca, DateTimeOffset now, out string problem)
    {
        ArgumentNullException.ThrowIfNull(ca);
        if (server is not X509Certificate2 certificate)
        {
            problem = "the server sent no certificate";
            return false;
        }

        if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            problem = "the server's certificate does not name the host dialled";
            return false;
        }

        return ConsortiumPki.ChainsTo(certificate, ca, now, ConsortiumPki.ServerAuthOid, out problem);
    }
}
