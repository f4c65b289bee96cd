using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Consortia.Network.Identity;
using Consortia.Network.Protos;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Consortia.Network.Tests.Identity;

[Trait("Category", "Slow")]
public sealed class EnrollmentTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Enroll_EndToEnd_WritesIdentity_AndThePrivateKeyNeverTravels()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string token = host.Identity.CreateToken("hospital-1", TimeSpan.FromHours(24));
        string folder = host.Dir.Combine("site");

        EnrollmentResult result = await NodeEnrollment.EnrollAsync(host.EnrollmentAddress, token, folder, host.Time, Cancel);

        Assert.Equal("hospital-1", result.Site);
        Assert.Equal(TempDir.OwnerOnly, TempDir.ModeOf(Path.Combine(folder, IdentityFiles.SiteKey)));
        using X509Certificate2 certificate = X509Certificate2.CreateFromPemFile(Path.Combine(folder, IdentityFiles.SiteCertificate), Path.Combine(folder, IdentityFiles.SiteKey));
        Assert.Equal("CN=hospital-1", certificate.Subject);
        Assert.Equal(result.Serial, certificate.SerialNumber);
        Assert.True(ConsortiumPki.ChainsTo(certificate, host.Identity.Ca, host.Time.GetUtcNow(), ConsortiumPki.ClientAuthOid, out string problem), problem);
        Assert.False(ConsortiumPki.HasExtendedKeyUsage(certificate, ConsortiumPki.ServerAuthOid));
        Assert.Equal(IdentityTestHost.Start.AddDays(365), new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
        using X509Certificate2 storedCa = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(Path.Combine(folder, IdentityFiles.CaCertificate), Cancel));
        Assert.Equal(host.Identity.Ca.RawData, storedCa.RawData);
        IssuedCertificate issued = Assert.Single(host.Identity.Certificates());
        Assert.Equal(("hospital-1", result.Serial, (DateTimeOffset?)null), (issued.Site, issued.Serial, issued.RevokedAt));

        // What went over the wire: a CA request without content, then the token and a CSR that holds the
        // site's public key and nothing of its private key.
        (string Method, byte[] Request)[] calls = [.. host.EnrollmentCalls.Calls];
        Assert.Equal(["/consortia.v1.Enrollment/GetCaCertificate", "/consortia.v1.Enrollment/Enroll"], calls.Select(c => c.Method));
        Assert.Empty(calls[0].Request);
        EnrollRequest request = EnrollRequest.Parser.ParseFrom(calls[1].Request);
        CertificateRequest csr = CertificateRequest.LoadSigningRequestPem(request.CsrPem, HashAlgorithmName.SHA256);
        using ECDsa key = certificate.GetECDsaPrivateKey()!;
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), csr.PublicKey.ExportSubjectPublicKeyInfo());
        byte[] privateScalar = key.ExportParameters(includePrivateParameters: true).D!;
        byte[] pkcs8 = key.ExportPkcs8PrivateKey();
        string keyFile = await File.ReadAllTextAsync(Path.Combine(folder, IdentityFiles.SiteKey), Cancel);
        foreach ((string _, byte[] body) in calls)
        {
            Assert.Equal(-1, body.AsSpan().IndexOf(privateScalar));
            Assert.Equal(-1, body.AsSpan().IndexOf(pkcs8.AsSpan(pkcs8.Length - 40)));
            Assert.DoesNotContain("PRIVATE KEY", System.Text.Encoding.ASCII.GetString(body), StringComparison.Ordinal);
            Assert.DoesNotContain(keyFile.Split('\n')[1], System.Text.Encoding.ASCII.GetString(body), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Enroll_ReusedToken_IsRefused()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string token = host.Identity.CreateToken("hospital-1", TimeSpan.FromHours(24));
        await NodeEnrollment.EnrollAsync(host.EnrollmentAddress, token, host.Dir.Combine("first"), host.Time, Cancel);

        IdentityException refused = await Assert.ThrowsAsync<IdentityException>(() => NodeEnrollment.EnrollAsync(host.EnrollmentAddress, token, host.Dir.Combine("second"), host.Time, Cancel));

        AssertRefused(refused, StatusCode.PermissionDenied, "token already used");
        Assert.False(Directory.Exists(host.Dir.Combine("second")));
        Assert.Single(host.Identity.Certificates());
    }

    [Fact]
    public async Task Enroll_ExpiredToken_IsRefused()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string token = host.Identity.CreateToken("hospital-1", TimeSpan.FromHours(24));
        host.Time.Advance(TimeSpan.FromHours(24));

        IdentityException refused = await Assert.ThrowsAsync<IdentityException>(() => NodeEnrollment.EnrollAsync(host.EnrollmentAddress, token, host.Dir.Combine("site"), host.Time, Cancel));

        AssertRefused(refused, StatusCode.PermissionDenied, "token expired");
        Assert.Empty(host.Identity.Certificates());
    }

    [Fact]
    public async Task Enroll_TokenJustBeforeExpiry_IsAccepted()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string token = host.Identity.CreateToken("hospital-1", TimeSpan.FromHours(24));
        host.Time.Advance(TimeSpan.FromHours(24) - TimeSpan.FromSeconds(1));

        EnrollmentResult result = await NodeEnrollment.EnrollAsync(host.EnrollmentAddress, token, host.Dir.Combine("site"), host.Time, Cancel);

        Assert.Equal("hospital-1", result.Site);
    }

    [Fact]
    public async Task Enroll_UnknownToken_IsRefused()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string forged = EnrollmentToken.Create("hospital-1", host.Identity.CaPin).ToString();

        IdentityException refused = await Assert.ThrowsAsync<IdentityException>(() => NodeEnrollment.EnrollAsync(host.EnrollmentAddress, forged, host.Dir.Combine("site"), host.Time, Cancel));

        AssertRefused(refused, StatusCode.PermissionDenied, "unknown token");
    }

    [Fact]
    public async Task Enroll_TokenOfSiteA_CannotEnrollSiteB()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        EnrollmentToken tokenA = EnrollmentToken.Parse(host.Identity.CreateToken("site-a", TimeSpan.FromHours(24)));

        // The node rewrites the token's site...
        string relabelled = (tokenA with { Site = "site-b" }).ToString();
        IdentityException refused = await Assert.ThrowsAsync<IdentityException>(() => NodeEnrollment.EnrollAsync(host.EnrollmentAddress, relabelled, host.Dir.Combine("b"), host.Time, Cancel));
        AssertRefused(refused, StatusCode.PermissionDenied, "token is for another site");

        // ...or sends site A's token with a CSR for site B.
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        RpcException direct = await Assert.ThrowsAsync<RpcException>(() => CallEnrollAsync(host, tokenA.ToString(), NodeEnrollment.CreateSigningRequest("site-b", key)));
        Assert.Equal(StatusCode.PermissionDenied, direct.StatusCode);
        Assert.Contains("CN=site-a", direct.Status.Detail, StringComparison.Ordinal);

        // Neither attempt used the token: site A can still enroll with it.
        EnrollmentResult result = await NodeEnrollment.EnrollAsync(host.EnrollmentAddress, tokenA.ToString(), host.Dir.Combine("a"), host.Time, Cancel);
        Assert.Equal("site-a", result.Site);
        Assert.Equal(["site-a"], host.Identity.Certificates().Select(c => c.Site));
    }

    [Fact]
    public async Task Enroll_BadCsr_IsRefusedWithInvalidArgument()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string token = host.Identity.CreateToken("hospital-1", TimeSpan.FromHours(24));

        using ECDsa p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        RpcException wrongCurve = await Assert.ThrowsAsync<RpcException>(() => CallEnrollAsync(host, token, NodeEnrollment.CreateSigningRequest("hospital-1", p384)));
        Assert.Equal(StatusCode.InvalidArgument, wrongCurve.StatusCode);
        Assert.Contains("P-256", wrongCurve.Status.Detail, StringComparison.Ordinal);

        using RSA rsa = RSA.Create(2048);
        string rsaCsr = new CertificateRequest("CN=hospital-1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequestPem();
        RpcException wrongType = await Assert.ThrowsAsync<RpcException>(() => CallEnrollAsync(host, token, rsaCsr));
        Assert.Equal(StatusCode.InvalidArgument, wrongType.StatusCode);

        // A CSR whose signature does not verify: its public key is swapped for another one.
        using ECDsa signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using ECDsa other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] der = new CertificateRequest("CN=hospital-1", signer, HashAlgorithmName.SHA256).CreateSigningRequest();
        byte[] signerKey = signer.ExportSubjectPublicKeyInfo();
        byte[] otherKey = other.ExportSubjectPublicKeyInfo();
        int at = der.AsSpan().IndexOf(signerKey);
        Assert.True(at > 0);
        otherKey.CopyTo(der, at);
        RpcException badSignature = await Assert.ThrowsAsync<RpcException>(() => CallEnrollAsync(host, token, PemEncoding.WriteString("CERTIFICATE REQUEST", der)));
        Assert.Equal(StatusCode.InvalidArgument, badSignature.StatusCode);

        RpcException garbage = await Assert.ThrowsAsync<RpcException>(() => CallEnrollAsync(host, token, "not a csr"));
        Assert.Equal(StatusCode.InvalidArgument, garbage.StatusCode);

        // None of these used the token.
        Assert.Equal("hospital-1", (await NodeEnrollment.EnrollAsync(host.EnrollmentAddress, token, host.Dir.Combine("site"), host.Time, Cancel)).Site);
    }

    [Fact]
    public async Task Enroll_WrongPinnedCaHash_IsRefusedBeforeTheTokenIsSent()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        EnrollmentToken token = EnrollmentToken.Parse(host.Identity.CreateToken("hospital-1", TimeSpan.FromHours(24)));
        string otherPin = Convert.ToHexStringLower(SHA256.HashData("another consortium"u8));

        IdentityException refused = await Assert.ThrowsAsync<IdentityException>(() => NodeEnrollment.EnrollAsync(host.EnrollmentAddress, (token with { CaPin = otherPin }).ToString(), host.Dir.Combine("site"), host.Time, Cancel));

        Assert.Contains("not the token's consortium", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(host.EnrollmentCalls.Calls, c => c.Method.EndsWith("/Enroll", StringComparison.Ordinal));
        Assert.False(Directory.Exists(host.Dir.Combine("site")));
    }

    [Fact]
    public async Task Enroll_ImpostorRelayingTheGenuineCa_IsRefusedBeforeTheTokenIsSent()
    {
        await using IdentityTestHost genuine = await IdentityTestHost.StartAsync();
        await using IdentityTestHost impostor = await IdentityTestHost.StartAsync();
        string caPem = genuine.Identity.Ca.ExportCertificatePem();
        Uri relay = await impostor.ServeAsync(
            listen => impostor.Identity.UseServerTls(listen),
            services =>
            {
                services.AddSingleton(new ImpostorCa(caPem));
                services.AddGrpc(o => o.Interceptors.Add<CallRecorder>());
            },
            app => app.MapGrpcService<RelayingImpostor>(),
            impostor.EnrollmentCalls);
        string token = genuine.Identity.CreateToken("hospital-1", TimeSpan.FromHours(24));

        IdentityException refused = await Assert.ThrowsAsync<IdentityException>(() => NodeEnrollment.EnrollAsync(relay, token, genuine.Dir.Combine("site"), genuine.Time, Cancel));

        Assert.Contains("the token was not sent", refused.Message, StringComparison.Ordinal);
        Assert.Equal(["/consortia.v1.Enrollment/GetCaCertificate"], impostor.EnrollmentCalls.Calls.Select(c => c.Method));
    }

    [Fact]
    public async Task Enroll_CoordinatorCertificateNotNamingTheHost_IsRefused()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync(["coordinator.example.org"]);
        string token = host.Identity.CreateToken("hospital-1", TimeSpan.FromHours(24));

        IdentityException refused = await Assert.ThrowsAsync<IdentityException>(() => NodeEnrollment.EnrollAsync(host.EnrollmentAddress, token, host.Dir.Combine("site"), host.Time, Cancel));

        Assert.Contains("does not name the host", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(host.EnrollmentCalls.Calls, c => c.Method.EndsWith("/Enroll", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Enroll_ExistingIdentity_IsNotOverwritten()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string folder = await host.EnrollAsync("hospital-1");
        string key = await File.ReadAllTextAsync(Path.Combine(folder, IdentityFiles.SiteKey), Cancel);
        string token = host.Identity.CreateToken("hospital-1", TimeSpan.FromHours(24));

        IdentityException refused = await Assert.ThrowsAsync<IdentityException>(() => NodeEnrollment.EnrollAsync(host.EnrollmentAddress, token, folder, host.Time, Cancel));

        Assert.Contains("refusing to overwrite", refused.Message, StringComparison.Ordinal);
        Assert.Equal(key, await File.ReadAllTextAsync(Path.Combine(folder, IdentityFiles.SiteKey), Cancel));
        Assert.Single(host.Identity.Certificates());
    }

    [Fact]
    public async Task Redeem_ConcurrentRedemptions_ExactlyOneWins()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string token = host.Identity.CreateToken("hospital-1", TimeSpan.FromHours(24));
        using ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string csr = NodeEnrollment.CreateSigningRequest("hospital-1", key);

        Task<bool>[] attempts = [.. Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            try
            {
                host.Identity.Enroll(token, csr).Dispose();
                return true;
            }
            catch (EnrollmentRefusedException e) when (e.Message == "token already used")
            {
                return false;
            }
        }, Cancel))];
        bool[] outcomes = await Task.WhenAll(attempts);

        Assert.Equal(1, outcomes.Count(won => won));
        Assert.Single(host.Identity.Certificates());
    }

    private static void AssertRefused(IdentityException refused, StatusCode status, string reason)
    {
        RpcException rpc = Assert.IsType<RpcException>(refused.InnerException);
        Assert.Equal(status, rpc.StatusCode);
        Assert.Equal(reason, rpc.Status.Detail);
        Assert.Contains(reason, refused.Message, StringComparison.Ordinal);
    }

    private static async Task<EnrollReply> CallEnrollAsync(IdentityTestHost host, string token, string csr)
    {
        using GrpcChannel channel = GrpcChannel.ForAddress(host.EnrollmentAddress, new GrpcChannelOptions { HttpHandler = MutualTls.CreatePinnedHandler(host.Identity.Ca, host.Time) });
        return await new Enrollment.EnrollmentClient(channel).EnrollAsync(new EnrollRequest { Token = token, CsrPem = csr }, deadline: TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(30), cancellationToken: Cancel);
    }
}

/// <summary>A server of another CA that hands out the genuine consortium's CA certificate, hoping to be sent a token.</summary>
internal sealed class RelayingImpostor(ImpostorCa ca) : Enrollment.EnrollmentBase
{
    public override Task<CaCertificateReply> GetCaCertificate(CaCertificateRequest request, ServerCallContext context) =>
        Task.FromResult(new CaCertificateReply { CaCertificatePem = ca.Pem });

    public override Task<EnrollReply> Enroll(EnrollRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, "impostor"));
}

/// <summary>The CA certificate the impostor relays.</summary>
internal sealed record ImpostorCa(string Pem);
