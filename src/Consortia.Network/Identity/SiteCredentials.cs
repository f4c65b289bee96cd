using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Consortia.Network.Identity;

/// <summary>
/// A site's identity folder, made by <c>consortia node enroll</c>: <c>site.key.pem</c> (0600),
/// <c>site.crt.pem</c> and <c>ca.crt.pem</c>.
/// </summary>
public sealed class SiteCredentials : IDisposable
{
    private SiteCredentials(string site, X509Certificate2 certificate, X509Certificate2 ca)
    {
        Site = site;
        Certificate = certificate;
        Ca = ca;
    }

    /// <summary>The site (the certificate's CN).</summary>
    public string Site { get; }

    /// <summary>The site's client certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The consortium CA the node pins.</summary>
    public X509Certificate2 Ca { get; }

    /// <summary>Loads the identity folder <paramref name="directory"/>.</summary>
    /// <param name="directory">The folder.</param>
    /// <param name="expectedSite">When given, the certificate must be this site's.</param>
    /// <exception cref="IdentityException">A file is missing, unreadable, or the certificate is another site's or not from the CA.</exception>
    public static SiteCredentials Load(string directory, string? expectedSite)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (Directory.Exists(directory))
        {
            IdentityFiles.CompleteReplacement(directory); // a renewal interrupted by a crash
        }

        foreach (string file in IdentityFiles.SiteIdentity)
        {
            string path = Path.Combine(directory, file);
            if (!File.Exists(path))
            {
                throw new IdentityException($"{path}: missing; enroll the site first (`consortia node enroll --coordinator URL --token T --out {directory}`)");
            }
        }

        X509Certificate2 certificate;
        X509Certificate2 ca;
        try
        {
            certificate = ConsortiumPki.LoadWithKey(Path.Combine(directory, IdentityFiles.SiteCertificate), Path.Combine(directory, IdentityFiles.SiteKey));
            ca = ConsortiumPki.LoadCertificate(Path.Combine(directory, IdentityFiles.CaCertificate));
        }
        catch (CryptographicException e)
        {
            throw new IdentityException($"{directory}: cannot read the site's certificate, key or CA: {e.Message}", e);
        }

        string? site = ConsortiumPki.SoleCommonName(certificate.SubjectName);
        if (!SiteNames.IsValid(site) || (expectedSite is not null && !string.Equals(site, expectedSite, StringComparison.Ordinal)))
        {
            string subject = certificate.Subject;
            certificate.Dispose();
            ca.Dispose();
            throw new IdentityException($"{Path.Combine(directory, IdentityFiles.SiteCertificate)}: the certificate is for '{subject}', expected site '{expectedSite}'");
        }

        return new SiteCredentials(site!, certificate, ca);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Certificate.Dispose();
        Ca.Dispose();
    }
}
