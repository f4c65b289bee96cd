using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Consortia.Governance.Audit;

namespace Consortia.Governance.Tests.Audit;

public sealed class LedgerPublicKeyTests
{
    [Fact]
    public void FromPem_PublicKeyPem_RoundTrips()
    {
        using EcdsaLedgerSigner signer = EcdsaLedgerSigner.Generate();

        LedgerPublicKey key = LedgerPublicKey.FromPem(signer.PublicKey.ExportPem());

        Assert.Equal(signer.PublicKey, key);
        Assert.Equal(signer.PublicKey.Fingerprint, key.Fingerprint);
    }

    [Fact]
    public void FromPem_CertificatePem_ReadsTheSubjectKey()
    {
        using ECDsa ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        CertificateRequest request = new("CN=cleveland", ecdsa, HashAlgorithmName.SHA256);
        using X509Certificate2 certificate = request.CreateSelfSigned(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

        LedgerPublicKey key = LedgerPublicKey.FromPem(certificate.ExportCertificatePem());

        Assert.Equal(LedgerPublicKey.FromSubjectPublicKeyInfo(ecdsa.ExportSubjectPublicKeyInfo()), key);
    }

    [Fact]
    public void FromPem_KeyOnAnotherCurve_Throws()
    {
        using ECDsa p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);

        Assert.Throws<CryptographicException>(() => LedgerPublicKey.FromPem(p384.ExportSubjectPublicKeyInfoPem()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----")]
    public void FromPem_NoUsableBlock_Throws(string pem) =>
        Assert.Throws<CryptographicException>(() => LedgerPublicKey.FromPem(pem));

    [Fact]
    public void SignerFromPem_RestoresTheSameKey()
    {
        using EcdsaLedgerSigner original = EcdsaLedgerSigner.Generate();

        using EcdsaLedgerSigner restored = EcdsaLedgerSigner.FromPem(original.ExportPrivateKeyPem());
        byte[] digest = SHA256.HashData("entry"u8);

        Assert.Equal(original.PublicKey, restored.PublicKey);
        Assert.True(original.PublicKey.VerifyHash(digest, restored.SignHash(digest)));
    }
}
