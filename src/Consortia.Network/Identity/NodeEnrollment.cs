using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Consortia.Network.Protos;
using Grpc.Core;
using Grpc.Net.Client;

namespace Consortia.Network.Identity;

/// <summary>The outcome of an enrollment.</summary>
/// <param name="Site">The site enrolled.</param>
/// <param name="Serial">The certificate's serial number.</param>
/// <param name="NotAfter">The certificate's end of validity.</param>
/// <param name="Directory">The identity folder written.</param>
public sealed record EnrollmentResult(string Site, string Serial, DateTimeOffset NotAfter, string Directory);

/// <summary>
/// <c>consortia node enroll</c>: makes the site's P-256 key locally, sends only a CSR, and stores the signed
/// certificate. The coordinator is authenticated by the CA pin the token carries before the token is sent:
/// <list type="number">
/// <item>fetch the CA certificate (a call carrying no secret) and accept it only if its SHA-256 pin equals the token's;</item>
/// <item>open a new TLS connection that accepts the coordinator only if its certificate chains to that CA,
/// carries ServerAuth and names the host dialled, and send the token and CSR on it;</item>
/// <item>check the returned certificate (CA, ClientAuth, CN, our public key) and write the identity folder.</item>
/// </list>
/// </summary>
public static class NodeEnrollment
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Enrolls the site named by <paramref name="token"/> with <paramref name="coordinator"/>'s enrollment endpoint.</summary>
    /// <param name="coordinator">The enrollment endpoint.</param>
    /// <param name="token">The one-time token.</param>
    /// <param name="directory">The identity folder to write.</param>
    /// <param name="time">The clock.</param>
    /// <param name="cancellationToken">Cancels the enrollment.</param>
    /// <param name="rosterKey">The site's long-term roster key (the key of its ledger), recorded by the coordinator with the
    /// certificate (<see cref="RosterKeyBinding"/>); <see langword="null"/> to record none.</param>
    /// <returns>What was enrolled.</returns>
    /// <exception cref="IdentityException">The folder already holds an identity, the token is malformed, the coordinator is not the pinned consortium's, or it refused.</exception>
    public static async Task<EnrollmentResult> EnrollAsync(Uri coordinator, string token, string directory, TimeProvider time, CancellationToken cancellationToken, Consortia.Governance.Audit.ILedgerSigner? rosterKey = null)
    {
        ArgumentNullException.ThrowIfNull(coordinator);
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(time);
        if (coordinator.Scheme != Uri.UriSchemeHttps)
        {
            throw new IdentityException($"the coordinator's enrollment URL must be https://, got {coordinator}");
        }

        EnrollmentToken parsed = EnrollmentToken.Parse(token);
        string folder = Path.GetFullPath(directory);
        foreach (string file in IdentityFiles.SiteIdentity)
        {
            if (File.Exists(Path.Combine(folder, file)))
            {
                throw new IdentityException($"{folder} already holds a site identity ({file} exists); refusing to overwrite it");
            }
        }

        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string csr = CreateSigningRequest(parsed.Site, key);
        using X509Certificate2 ca = await FetchPinnedCaAsync(coordinator, parsed.CaPin, time, cancellationToken).ConfigureAwait(false);
        EnrollRequest request = new() { Token = parsed.ToString(), CsrPem = csr };
        if (rosterKey is not null)
        {
            (request.RosterPublicKey, request.RosterKeySignature) = RosterKeyBinding.Sign(parsed.Site, rosterKey, csr);
        }

        EnrollReply reply = await SendAsync(coordinator, ca, request, time, cancellationToken).ConfigureAwait(false);

        using X509Certificate2 issued = ReadCertificate(reply.CertificatePem, "the site certificate");
        if (!ConsortiumPki.ChainsTo(issued, ca, time.GetUtcNow(), ConsortiumPki.ClientAuthOid, out string problem))
        {
            throw new IdentityException($"the coordinator returned a certificate that is not a valid client certificate of the pinned CA: {problem}");
        }

        if (!string.Equals(ConsortiumPki.SoleCommonName(issued.SubjectName), parsed.Site, StringComparison.Ordinal)
            || !issued.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
        {
            throw new IdentityException("the coordinator returned a certificate for another name or key than requested");
        }

        Directory.CreateDirectory(folder);
        IdentityFiles.WriteNew(Path.Combine(folder, IdentityFiles.SiteKey), key.ExportPkcs8PrivateKeyPem() + "\n", secret: true);
        IdentityFiles.WriteNew(Path.Combine(folder, IdentityFiles.SiteCertificate), issued.ExportCertificatePem() + "\n", secret: false);
        IdentityFiles.WriteNew(Path.Combine(folder, IdentityFiles.CaCertificate), ca.ExportCertificatePem() + "\n", secret: false);
        return new EnrollmentResult(parsed.Site, issued.SerialNumber, issued.NotAfter.ToUniversalTime(), folder);
    }

    /// <summary>A PKCS#10 request for CN=<paramref name="site"/> signed by <paramref name="key"/> (it holds the public key only).</summary>
    internal static string CreateSigningRequest(string site, ECDsa key)
    {
        X500DistinguishedNameBuilder name = new();
        name.AddCommonName(SiteNames.Validate(site));
        CertificateRequest request = new(name.Build(), key, HashAlgorithmName.SHA256);
        return request.CreateSigningRequestPem();
    }

    /// <summary>Fetches the coordinator's CA and accepts it only if it matches <paramref name="pin"/> and the server's certificate chains to it.</summary>
    internal static async Task<X509Certificate2> FetchPinnedCaAsync(Uri coordinator, string pin, TimeProvider time, CancellationToken cancellationToken)
    {
        X509Certificate2? server = null;
        // This connection is not yet authenticated: it carries no secret, and what it returns is accepted only
        // if it matches the pin (the CA) or chains to it (the server certificate seen in the handshake).
        SocketsHttpHandler handler = new()
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, certificate, _, _) => Remember(certificate, ref server),
            },
            ConnectTimeout = CallTimeout,
        };
        CaCertificateReply reply;
        using (GrpcChannel channel = GrpcChannel.ForAddress(coordinator, new GrpcChannelOptions { HttpClient = new HttpClient(handler), DisposeHttpClient = true } /* an HttpClient keeps HTTPS_PROXY working (grpc-dotnet #2254) */))
        {
            try
            {
                reply = await new Enrollment.EnrollmentClient(channel).GetCaCertificateAsync(new CaCertificateRequest(), deadline: Deadline(), cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException e)
            {
                throw new IdentityException($"cannot fetch the consortium CA from {coordinator}: {e.Status.StatusCode}: {e.Status.Detail}", e);
            }
        }

        X509Certificate2 ca = ReadCertificate(reply.CaCertificatePem, "the CA certificate");
        string actual = ConsortiumPki.CaPin(ca);
        if (!CryptographicOperations.FixedTimeEquals(Convert.FromHexString(actual), Convert.FromHexString(pin)))
        {
            ca.Dispose();
            server?.Dispose();
            throw new IdentityException($"the coordinator at {coordinator} is not the token's consortium: its CA hashes to {actual}, the token pins {pin}; the token was not sent");
        }

        using (server)
        {
            if (server is null || !ConsortiumPki.ChainsTo(server, ca, time.GetUtcNow(), ConsortiumPki.ServerAuthOid, out _))
            {
                ca.Dispose();
                throw new IdentityException($"the server at {coordinator} does not hold a certificate of the pinned consortium CA; the token was not sent");
            }
        }

        return ca;
    }

    private static async Task<EnrollReply> SendAsync(Uri coordinator, X509Certificate2 ca, EnrollRequest request, TimeProvider time, CancellationToken cancellationToken)
    {
        string? refusal = null;
        SocketsHttpHandler handler = new()
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                RemoteCertificateValidationCallback = (_, server, _, errors) =>
                {
                    bool trusted = MutualTls.IsTrustedServer(server, errors, ca, time.GetUtcNow(), out string problem);
                    refusal = trusted ? null : problem;
                    return trusted;
                },
            },
            ConnectTimeout = CallTimeout,
        };
        using GrpcChannel channel = GrpcChannel.ForAddress(coordinator, new GrpcChannelOptions { HttpClient = new HttpClient(handler), DisposeHttpClient = true } /* an HttpClient keeps HTTPS_PROXY working (grpc-dotnet #2254) */);
        try
        {
            return await new Enrollment.EnrollmentClient(channel).EnrollAsync(request, deadline: Deadline(), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (refusal is not null)
        {
            throw new IdentityException($"the coordinator at {coordinator} failed the pinned TLS check ({refusal}); the token was not sent", e);
        }
        catch (RpcException e)
        {
            throw new IdentityException($"the coordinator refused the enrollment: {e.Status.Detail}", e);
        }
    }

    private static bool Remember(X509Certificate? certificate, ref X509Certificate2? server)
    {
        if (certificate is null)
        {
            return false;
        }

        server?.Dispose();
        server = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return true;
    }

    private static X509Certificate2 ReadCertificate(string pem, string what)
    {
        try
        {
            return X509Certificate2.CreateFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new IdentityException($"the coordinator returned a malformed {what}: {e.Message}", e);
        }
    }

    private static DateTime Deadline() => TimeProvider.System.GetUtcNow().UtcDateTime + CallTimeout;
}
