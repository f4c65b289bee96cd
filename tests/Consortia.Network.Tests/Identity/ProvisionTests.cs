using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Consortia.Network.Identity;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Network.Tests.Identity;

public sealed class ProvisionTests
{
    [Fact]
    public void Provision_CreatesHomeWithValidChainAndPrivateFiles()
    {
        using TempDir dir = new();
        FakeTimeProvider time = new(IdentityTestHost.Start);
        string home = dir.Combine("home");

        using CoordinatorIdentity identity = CoordinatorIdentity.Provision("heart", home, ["coordinator.example.org", "10.1.2.3"], time);

        foreach (string file in IdentityFiles.CoordinatorHome)
        {
            Assert.True(File.Exists(Path.Combine(home, file)), file);
        }

        foreach (string secret in new[] { IdentityFiles.CaKey, IdentityFiles.CoordinatorKey, IdentityFiles.AdminToken, IdentityFiles.Database })
        {
            Assert.Equal(TempDir.OwnerOnly, TempDir.ModeOf(Path.Combine(home, secret)));
        }

        using X509Certificate2 ca = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(home, IdentityFiles.CaCertificate)));
        using X509Certificate2 server = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(home, IdentityFiles.CoordinatorCertificate)));
        X509BasicConstraintsExtension constraints = Assert.Single(ca.Extensions.OfType<X509BasicConstraintsExtension>());
        Assert.True(constraints.CertificateAuthority);
        Assert.True(Assert.Single(ca.Extensions.OfType<X509KeyUsageExtension>()).KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign));
        Assert.Equal(ca.Subject, ca.Issuer);
        Assert.Contains("O=heart", ca.Subject, StringComparison.Ordinal);
        Assert.True(ConsortiumPki.IsP256(ca.PublicKey));
        Assert.True(ConsortiumPki.IsP256(server.PublicKey));
        Assert.Equal("1.2.840.10045.4.3.2", server.SignatureAlgorithm.Value); // ecdsa-with-SHA256

        Assert.True(ConsortiumPki.ChainsTo(server, ca, time.GetUtcNow(), ConsortiumPki.ServerAuthOid, out string problem), problem);
        Assert.False(ConsortiumPki.HasExtendedKeyUsage(server, ConsortiumPki.ClientAuthOid));
        Assert.False(Assert.Single(server.Extensions.OfType<X509BasicConstraintsExtension>()).CertificateAuthority);
        X509SubjectAlternativeNameExtension san = Assert.Single(server.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["coordinator.example.org"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Parse("10.1.2.3")], san.EnumerateIPAddresses());

        // The home's keys match its certificates.
        using X509Certificate2 caWithKey = X509Certificate2.CreateFromPemFile(Path.Combine(home, IdentityFiles.CaCertificate), Path.Combine(home, IdentityFiles.CaKey));
        Assert.True(caWithKey.HasPrivateKey);

        string admin = File.ReadAllText(Path.Combine(home, IdentityFiles.AdminToken)).Trim();
        Assert.Equal(43, admin.Length); // 32 bytes, base64url without padding
        Assert.Equal(32, System.Buffers.Text.Base64Url.DecodeFromChars(admin).Length);
    }

    [Fact]
    public void Provision_DefaultHosts_AreLocalhostAndLoopback()
    {
        using TempDir dir = new();
        using CoordinatorIdentity identity = CoordinatorIdentity.Provision("heart", dir.Combine("home"), [], new FakeTimeProvider(IdentityTestHost.Start));

        X509SubjectAlternativeNameExtension san = Assert.Single(identity.Coordinator.Extensions.OfType<X509SubjectAlternativeNameExtension>());
        Assert.Equal(["localhost"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback], san.EnumerateIPAddresses());
    }

    [Fact]
    public void Provision_ExistingHome_IsRefusedAndLeftIntact()
    {
        using TempDir dir = new();
        FakeTimeProvider time = new(IdentityTestHost.Start);
        string home = dir.Combine("home");
        string pin;
        using (CoordinatorIdentity first = CoordinatorIdentity.Provision("heart", home, [], time))
        {
            pin = first.CaPin;
        }

        string caKey = File.ReadAllText(Path.Combine(home, IdentityFiles.CaKey));
        IdentityException refused = Assert.Throws<IdentityException>(() => CoordinatorIdentity.Provision("heart", home, [], time));

        Assert.Contains("refusing to overwrite", refused.Message, StringComparison.Ordinal);
        Assert.Equal(caKey, File.ReadAllText(Path.Combine(home, IdentityFiles.CaKey)));
        using CoordinatorIdentity reopened = CoordinatorIdentity.Open(home, time);
        Assert.Equal(pin, reopened.CaPin);
    }

    [Fact]
    public void CreateToken_EmbedsSiteAndCaPin_AndStoresOnlyTheSecretsHash()
    {
        using TempDir dir = new();
        using CoordinatorIdentity identity = CoordinatorIdentity.Provision("heart", dir.Combine("home"), [], new FakeTimeProvider(IdentityTestHost.Start));

        string text = identity.CreateToken("hospital-1", TimeSpan.FromHours(24));
        EnrollmentToken token = EnrollmentToken.Parse(text);

        Assert.StartsWith("ctk1.hospital-1.", text, StringComparison.Ordinal);
        Assert.Equal("hospital-1", token.Site);
        Assert.Equal(identity.CaPin, token.CaPin);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(identity.Ca.PublicKey.ExportSubjectPublicKeyInfo())), token.CaPin);
        Assert.Equal(text, token.ToString());
        byte[] database = ReadShared(dir.Combine("home", IdentityFiles.Database));
        byte[] wal = File.Exists(dir.Combine("home", IdentityFiles.Database + "-wal")) ? ReadShared(dir.Combine("home", IdentityFiles.Database + "-wal")) : [];
        string stored = System.Text.Encoding.ASCII.GetString([.. database, .. wal]);
        Assert.DoesNotContain(token.Secret, stored, StringComparison.Ordinal);
        Assert.Contains(token.SecretHash, stored, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateToken_TwoTokens_HaveDifferentSecrets()
    {
        using TempDir dir = new();
        using CoordinatorIdentity identity = CoordinatorIdentity.Provision("heart", dir.Combine("home"), [], new FakeTimeProvider(IdentityTestHost.Start));

        Assert.NotEqual(EnrollmentToken.Parse(identity.CreateToken("a", TimeSpan.FromHours(1))).Secret, EnrollmentToken.Parse(identity.CreateToken("a", TimeSpan.FromHours(1))).Secret);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Hospital")]
    [InlineData("hospital_1")]
    [InlineData("hospital.1")]
    [InlineData("h\u00f4pital")]
    [InlineData("a234567890123456789012345678901234567890123456789012345678901234")] // 64 characters
    public void CreateToken_InvalidSiteName_IsRefused(string site)
    {
        using TempDir dir = new();
        using CoordinatorIdentity identity = CoordinatorIdentity.Provision("heart", dir.Combine("home"), [], new FakeTimeProvider(IdentityTestHost.Start));

        Assert.Throws<IdentityException>(() => identity.CreateToken(site, TimeSpan.FromHours(1)));
    }

    [Theory]
    [InlineData("a")]
    [InlineData("hospital-1")]
    [InlineData("0-9")]
    [InlineData("a23456789012345678901234567890123456789012345678901234567890123")] // 63 characters
    public void SiteNames_Valid(string site) => Assert.True(SiteNames.IsValid(site));

    [Theory]
    [InlineData("ctk1.a.b.c")]
    [InlineData("ctk2.hospital-1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("ctk1.Hospital.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("ctk1.hospital-1.AAAA.0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("ctk1.hospital-1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.00")]
    [InlineData("ctk1.hospital-1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.000000000000000000000000000000000000000000000000000000000000000G")]
    public void ParseToken_Malformed_IsRefused(string text) => Assert.Throws<IdentityException>(() => EnrollmentToken.Parse(text));

    [Theory]
    [InlineData("24h", 24 * 60)]
    [InlineData("30m", 30)]
    [InlineData("7d", 7 * 24 * 60)]
    [InlineData("1.5h", 90)]
    public void Duration_Parses(string text, int minutes) => Assert.Equal(TimeSpan.FromMinutes(minutes), IdentityDuration.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("24")]
    [InlineData("-1h")]
    [InlineData("0h")]
    [InlineData("1w")]
    public void Duration_Invalid_IsRefused(string text) => Assert.Throws<IdentityException>(() => IdentityDuration.Parse(text));

    private static byte[] ReadShared(string path)
    {
        using FileStream stream = new(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using MemoryStream copy = new();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
