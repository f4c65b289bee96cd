using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Consortia.Network.Tests.Transport;

/// <summary>A throw-away consortium PKI for transport tests: a CA, a coordinator certificate and site certificates.</summary>
internal sealed class TestPki : IDisposable
{
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public TestPki()
    {
        CertificateRequest request = new("CN=test consortium CA", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        DateTimeOffset now = DateTimeOffset.UnixEpoch.AddYears(56); // 2026: fixed, so the test does not read the clock
        Ca = request.CreateSelfSigned(now.AddDays(-1), now.AddYears(20));
        Coordinator = Issue("coordinator", server: true);
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Coordinator { get; }

    /// <summary>Issues a certificate with its private key, signed by the CA.</summary>
    public X509Certificate2 Issue(string name, bool server = false)
    {
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = new($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            SubjectAlternativeNameBuilder san = new();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            request.CertificateExtensions.Add(san.Build());
        }

        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using X509Certificate2 issued = request.Create(Ca, Ca.NotBefore, Ca.NotAfter.AddDays(-1), serial);
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);
        // Round-trip through PKCS#12 so that SslStream can use the key on every platform.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Whether <paramref name="certificate"/> chains to this CA alone (no system trust store).</summary>
    public bool Trusts(X509Certificate2 certificate)
    {
        using X509Chain chain = new();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate);
    }

    public void Dispose()
    {
        Coordinator.Dispose();
        Ca.Dispose();
        _caKey.Dispose();
    }
}
