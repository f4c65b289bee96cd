using System.Security.Cryptography;
using Consortia.Governance.Audit;
using Consortia.Governance.Roster;
using Consortia.Network.Identity;
using Consortia.Network.Node;
using Consortia.Network.Tests.Nodes;
using Grpc.Core;

namespace Consortia.Network.Tests.Identity;

/// <summary>
/// Enrollment binds the site's long-term roster key (the key of its ledger) to its certificate record: sent with a
/// signature over the CSR, verified, stored in identity.db, updated only by a renewal that proves the new key, and
/// compared with the roster so that a key changed without renewal is reported. Real gRPC on loopback.
/// </summary>
[Trait("Category", "Slow")]
public sealed class RosterKeyEnrollmentTests : IDisposable
{
    private readonly EcdsaLedgerSigner _key = EcdsaLedgerSigner.Generate();
    private readonly EcdsaLedgerSigner _other = EcdsaLedgerSigner.Generate();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _key.Dispose();
        _other.Dispose();
    }

    [Fact]
    public async Task Enroll_WithTheRosterKey_RecordsItWithTheCertificate()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string token = host.Identity.CreateToken("hospital-1", TimeSpan.FromHours(24));

        EnrollmentResult result = await NodeEnrollment.EnrollAsync(host.EnrollmentAddress, token, host.Dir.Combine("site"), host.Time, Cancel, _key);

        IssuedCertificate issued = Assert.Single(host.Identity.Certificates());
        Assert.Equal(result.Serial, issued.Serial);
        Assert.Equal(Convert.ToBase64String(_key.PublicKey.SubjectPublicKeyInfo.Span), issued.RosterKey);
        Assert.Equal(_key.PublicKey, host.Identity.RosterKeyOf("hospital-1"));
    }

    [Fact]
    public async Task Enroll_WithoutARosterKey_RecordsNone()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();

        await host.EnrollAsync("hospital-1");

        Assert.Null(Assert.Single(host.Identity.Certificates()).RosterKey);
        Assert.Null(host.Identity.RosterKeyOf("hospital-1"));
    }

    [Fact]
    public async Task Enroll_ClaimingAnotherSitesKey_WithoutItsSignature_IsRefused_AndTheTokenStaysUnused()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string token = host.Identity.CreateToken("hospital-1", TimeSpan.FromHours(24));
        using ECDsa tls = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string csr = NodeEnrollment.CreateSigningRequest("hospital-1", tls);
        // The victim's public key, signed by the intruder's.
        (_, string signature) = RosterKeyBinding.Sign("hospital-1", _other, csr);
        string victim = Convert.ToBase64String(_key.PublicKey.SubjectPublicKeyInfo.Span);

        EnrollmentRefusedException forged = Assert.Throws<EnrollmentRefusedException>(() => host.Identity.Enroll(token, csr, victim, signature));
        EnrollmentRefusedException missing = Assert.Throws<EnrollmentRefusedException>(() => host.Identity.Enroll(token, csr, victim, null));
        EnrollmentRefusedException garbage = Assert.Throws<EnrollmentRefusedException>(() => host.Identity.Enroll(token, csr, "not base64!", signature));
        // A proof made for another CSR (another enrollment) is not accepted either.
        (string key, string replayed) = RosterKeyBinding.Sign("hospital-1", _key, NodeEnrollment.CreateSigningRequest("hospital-1", ECDsa.Create(ECCurve.NamedCurves.nistP256)));
        EnrollmentRefusedException replay = Assert.Throws<EnrollmentRefusedException>(() => host.Identity.Enroll(token, csr, key, replayed));

        Assert.Equal(StatusCode.PermissionDenied, forged.Status);
        Assert.Contains("does not verify", forged.Message, StringComparison.Ordinal);
        Assert.Equal(StatusCode.PermissionDenied, missing.Status);
        Assert.Equal(StatusCode.InvalidArgument, garbage.Status);
        Assert.Equal(StatusCode.PermissionDenied, replay.Status);
        Assert.Empty(host.Identity.Certificates());
        Assert.Equal("open", Assert.Single(host.Identity.Tokens()).StateAt(host.Time.GetUtcNow()));
    }

    [Fact]
    public async Task Renewal_WithANewRosterKey_RecordsIt_WithoutOne_KeepsTheRecordedKey()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string token = host.Identity.CreateToken("hospital-1", TimeSpan.FromHours(24));
        string folder = host.Dir.Combine("site");
        await NodeEnrollment.EnrollAsync(host.EnrollmentAddress, token, folder, host.Time, Cancel, _key);
        using NodeIdentity identity = NodeIdentity.Load(NodeConnectionTests.Config(host, folder), host.Time);

        await NodeRenewal.RenewAsync(identity.Channel, folder, identity.Credentials, host.Time, Cancel);
        Assert.Equal(_key.PublicKey, host.Identity.RosterKeyOf("hospital-1"));

        using NodeIdentity renewed = NodeIdentity.Load(NodeConnectionTests.Config(host, folder), host.Time);
        await NodeRenewal.RenewAsync(renewed.Channel, folder, renewed.Credentials, host.Time, Cancel, _other);

        Assert.Equal(_other.PublicKey, host.Identity.RosterKeyOf("hospital-1"));
        Assert.Equal(3, host.Identity.Certificates().Count(c => c.RosterKey is not null));
    }

    [Fact]
    public void EnrollmentKeyCheck_ReportsAKeyChangedWithoutRenewal()
    {
        ConsortiumRoster roster = ConsortiumRoster.Empty("heart").With(ConsortiumRoster.Join("heart", "hospital-1", _other));

        (EnrollmentKeyStatus differs, string text) = EnrollmentKeyCheck.Compare("hospital-1", _key.PublicKey, roster);

        Assert.Equal(EnrollmentKeyStatus.Differs, differs);
        Assert.Contains("KEY CHANGED WITHOUT RENEWAL", text, StringComparison.Ordinal);
        Assert.Contains(_key.PublicKey.Fingerprint, text, StringComparison.Ordinal);
        Assert.Equal(EnrollmentKeyStatus.Matches, EnrollmentKeyCheck.Compare("hospital-1", _other.PublicKey, roster).Status);
        Assert.Equal(EnrollmentKeyStatus.NotInRoster, EnrollmentKeyCheck.Compare("hospital-2", _other.PublicKey, roster).Status);
        Assert.Equal(EnrollmentKeyStatus.NoneRecorded, EnrollmentKeyCheck.Compare("hospital-1", null, roster).Status);
    }
}
