using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Consortia.Network.Configuration;

namespace Consortia.Network.Node;

/// <summary>The site's identity on disk (made by <c>consortia node enroll</c>) and the TLS client it gives.</summary>
public static class NodeIdentity
{
    /// <summary>The site's certificate file in the identity folder.</summary>
    public const string CertificateFile = "site.crt.pem";

    /// <summary>The site's private key file in the identity folder (never leaves the site).</summary>
    public const string KeyFile = "site.key.pem";

    /// <summary>The consortium CA certificate the node pins.</summary>
    public const string CaFile = "ca.crt.pem";

    /// <summary>
    /// An HTTP handler for the coordinator: TLS 1.3, the site's client certificate, and the coordinator's
    /// certificate accepted only if it chains to the consortium CA (no system trust store) and names the host.
    /// </summary>
    /// <exception cref="ConfigurationException">The identity is missing, or its certificate is not the configured site's.</exception>
    public static SocketsHttpHandler CreateCoordinatorHandler(NodeConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        string certificatePath = Path.Combine(config.Identity, CertificateFile);
        string keyPath = Path.Combine(config.Identity, KeyFile);
        string caPath = Path.Combine(config.Identity, CaFile);
        foreach (string path in new[] { certificatePath, keyPath, caPath })
        {
            if (!File.Exists(path))
            {
                throw new ConfigurationException($"{path}: missing; enroll the site first (`consortia node enroll --coordinator URL --token T --out {config.Identity}`).");
            }
        }

        X509Certificate2 certificate;
        using (X509Certificate2 pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath))
        {
            // Through PKCS#12 so that SslStream can use the ephemeral key on every platform.
            certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }

        string name = certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
        if (!string.Equals(name, config.Site, StringComparison.Ordinal))
        {
            throw new ConfigurationException($"{certificatePath}: the certificate is for site '{name}', but site.yaml says site: {config.Site}.");
        }

        X509Certificate2 ca = X509CertificateLoader.LoadCertificate(X509Certificate2.CreateFromPem(File.ReadAllText(caPath)).RawData);
        return new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls13,
                ClientCertificates = [certificate],
                RemoteCertificateValidationCallback = (_, server, _, errors) => PinnedToCa(server, errors, ca),
            },
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            KeepAlivePingDelay = TimeSpan.FromSeconds(20),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
            ConnectTimeout = TimeSpan.FromSeconds(10),
            EnableMultipleHttp2Connections = true,
        };
    }

    private static bool PinnedToCa(X509Certificate? server, SslPolicyErrors errors, X509Certificate2 ca)
    {
        if (server is not X509Certificate2 certificate || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return false;
        }

        using X509Chain chain = new();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }
}
