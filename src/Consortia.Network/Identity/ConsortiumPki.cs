using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Consortia.Network.Identity;

/// <summary>
/// The consortium's certificates: a self-signed CA, the coordinator's TLS server certificate and the sites'
/// client certificates. ECDSA P-256 keys and SHA-256 signatures throughout.
/// </summary>
public static class ConsortiumPki
{
    /// <summary>The OID of the TLS server authentication extended key usage.</summary>
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>The OID of the TLS client authentication extended key usage.</summary>
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    /// <summary>The OID of the NIST P-256 curve.</summary>
    public const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>How long the CA certificate is valid.</summary>
    public static TimeSpan CaValidity { get; } = TimeSpan.FromDays(3650);

    /// <summary>How long the coordinator's server certificate is valid.</summary>
    public static TimeSpan CoordinatorValidity { get; } = TimeSpan.FromDays(730);

    /// <summary>How long a site certificate is valid by default.</summary>
    public static TimeSpan SiteValidity { get; } = TimeSpan.FromDays(365);

    /// <summary>Clock skew tolerated between machines: certificates start this long before they are issued.</summary>
    internal static TimeSpan Backdate { get; } = TimeSpan.FromMinutes(5);

    /// <summary>Creates the consortium CA: a self-signed certificate with its private key.</summary>
    public static X509Certificate2 CreateCa(string consortium, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(consortium);
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        X500DistinguishedNameBuilder name = new();
        name.AddOrganizationName(consortium);
        name.AddCommonName($"{consortium} consortium CA");
        CertificateRequest request = new(name.Build(), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        using X509Certificate2 certificate = request.CreateSelfSigned(now - Backdate, now + CaValidity);
        return Usable(certificate, key);
    }

    /// <summary>Issues the coordinator's TLS server certificate (ServerAuth, SANs from <paramref name="hosts"/>).</summary>
    /// <param name="ca">The CA certificate with its private key.</param>
    /// <param name="hosts">DNS names and IP addresses the coordinator is reached at.</param>
    /// <param name="now">The issue time.</param>
    public static X509Certificate2 IssueCoordinator(X509Certificate2 ca, IReadOnlyList<string> hosts, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(hosts);
        if (hosts.Count == 0)
        {
            throw new IdentityException("the coordinator certificate needs at least one host name or address");
        }

        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = new(new X500DistinguishedName($"CN={Escape(hosts[0])}"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthOid)], false));
        SubjectAlternativeNameBuilder san = new();
        foreach (string host in hosts.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(host, out IPAddress? address))
            {
                san.AddIpAddress(address);
            }
            else if (Uri.CheckHostName(host) == UriHostNameType.Dns)
            {
                san.AddDnsName(host);
            }
            else
            {
                throw new IdentityException($"invalid host '{host}': expected a DNS name or an IP address");
            }
        }

        request.CertificateExtensions.Add(san.Build(critical: false));
        AddKeyIdentifiers(request, ca);
        DateTimeOffset notAfter = Min(now + CoordinatorValidity, ca.NotAfter);
        using X509Certificate2 certificate = request.Create(ca, now - Backdate, notAfter, NewSerial());
        return Usable(certificate, key);
    }

    /// <summary>
    /// Issues a site's client certificate (ClientAuth, CN = the site) for <paramref name="publicKey"/>, whose
    /// private key stays at the site.
    /// </summary>
    public static X509Certificate2 IssueSite(X509Certificate2 ca, string site, PublicKey publicKey, DateTimeOffset now, TimeSpan validity)
    {
        ArgumentNullException.ThrowIfNull(ca);
        ArgumentNullException.ThrowIfNull(publicKey);
        SiteNames.Validate(site);
        X500DistinguishedNameBuilder name = new();
        name.AddCommonName(site);
        CertificateRequest request = new(name.Build(), publicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ClientAuthOid)], false));
        AddKeyIdentifiers(request, ca);
        DateTimeOffset notAfter = Min(now + validity, ca.NotAfter);
        using ECDsa caKey = ca.GetECDsaPrivateKey() ?? throw new IdentityException("the CA certificate has no ECDSA private key");
        return request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now - Backdate, notAfter, NewSerial());
    }

    /// <summary>
    /// The CA pin a token carries: lowercase hex SHA-256 of the CA certificate's DER-encoded
    /// SubjectPublicKeyInfo (the same thing kubeadm's <c>--discovery-token-ca-cert-hash</c> pins).
    /// </summary>
    public static string CaPin(X509Certificate2 ca)
    {
        ArgumentNullException.ThrowIfNull(ca);
        return Convert.ToHexStringLower(SHA256.HashData(ca.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>Whether <paramref name="key"/> is an ECDSA key on the P-256 curve.</summary>
    public static bool IsP256(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        using ECDsa? ecdsa = key.GetECDsaPublicKey();
        if (ecdsa is null)
        {
            return false;
        }

        ECCurve curve = ecdsa.ExportParameters(false).Curve;
        return curve.IsNamed && (curve.Oid.Value == P256Oid || curve.Oid.FriendlyName is "nistP256" or "ECDSA_P256");
    }

    /// <summary>The certificate's serial number as uppercase hex (as <see cref="X509Certificate2.SerialNumber"/>).</summary>
    public static string Serial(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        return certificate.SerialNumber;
    }

    /// <summary>The single common name of <paramref name="name"/>, or null when it has none, several, or other attributes.</summary>
    public static string? SoleCommonName(X500DistinguishedName name)
    {
        ArgumentNullException.ThrowIfNull(name);
        string? common = null;
        foreach (X500RelativeDistinguishedName rdn in name.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.HasMultipleElements || rdn.GetSingleElementType().Value != "2.5.4.3" || common is not null)
            {
                return null;
            }

            common = rdn.GetSingleElementValue();
        }

        return common;
    }

    /// <summary>Whether the certificate carries the extended key usage <paramref name="oid"/>.</summary>
    public static bool HasExtendedKeyUsage(X509Certificate2 certificate, string oid)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        foreach (X509Extension extension in certificate.Extensions)
        {
            if (extension is X509EnhancedKeyUsageExtension eku)
            {
                foreach (Oid usage in eku.EnhancedKeyUsages)
                {
                    if (usage.Value == oid)
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Whether <paramref name="certificate"/> chains to <paramref name="ca"/> alone (no system trust store, no
    /// online revocation: Consortia keeps its own list) at <paramref name="at"/>, and carries the extended key
    /// usage <paramref name="requiredUsage"/>.
    /// </summary>
    public static bool ChainsTo(X509Certificate2 certificate, X509Certificate2 ca, DateTimeOffset at, string requiredUsage, out string problem)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        ArgumentNullException.ThrowIfNull(ca);
        using X509Chain chain = new();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        chain.ChainPolicy.VerificationTime = at.UtcDateTime;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(requiredUsage));
        if (!chain.Build(certificate))
        {
            problem = string.Join("; ", chain.ChainStatus.Select(s => s.Status.ToString()).Distinct(StringComparer.Ordinal));
            if (problem.Length == 0)
            {
                problem = "the certificate does not chain to the consortium CA";
            }

            return false;
        }

        X509Certificate2 root = chain.ChainElements[^1].Certificate;
        if (!root.RawDataMemory.Span.SequenceEqual(ca.RawDataMemory.Span))
        {
            problem = "the certificate does not chain to the consortium CA";
            return false;
        }

        if (!HasExtendedKeyUsage(certificate, requiredUsage))
        {
            problem = $"the certificate lacks the extended key usage {requiredUsage}";
            return false;
        }

        if (at < certificate.NotBefore || at > certificate.NotAfter)
        {
            problem = $"the certificate is valid from {certificate.NotBefore.ToUniversalTime():O} to {certificate.NotAfter.ToUniversalTime():O}";
            return false;
        }

        problem = "";
        return true;
    }

    /// <summary>Writes a private key as PKCS#8 PEM.</summary>
    internal static string PrivateKeyPem(X509Certificate2 certificate)
    {
        using ECDsa key = certificate.GetECDsaPrivateKey() ?? throw new IdentityException("the certificate has no ECDSA private key");
        return key.ExportPkcs8PrivateKeyPem();
    }

    /// <summary>Loads a certificate and its private key from PEM files, ready for TLS on every platform.</summary>
    internal static X509Certificate2 LoadWithKey(string certificatePath, string keyPath)
    {
        using X509Certificate2 pem = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        // Through PKCS#12 so that SslStream can use the (otherwise ephemeral) key on every platform.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Loads the single certificate of a PEM file.</summary>
    internal static X509Certificate2 LoadCertificate(string path) =>
        X509Certificate2.CreateFromPem(File.ReadAllText(path));

    private static void AddKeyIdentifiers(CertificateRequest request, X509Certificate2 ca)
    {
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
    }

    private static X509Certificate2 Usable(X509Certificate2 certificate, ECDsa key)
    {
        if (certificate.HasPrivateKey)
        {
            return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), null);
        }

        using X509Certificate2 withKey = certificate.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private static byte[] NewSerial()
    {
        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x40); // positive, and no leading zero byte to strip
        return serial;
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static string Escape(string host) => host.Replace("\"", "", StringComparison.Ordinal).Replace(",", "", StringComparison.Ordinal).Replace("=", "", StringComparison.Ordinal);
}
