using Consortia.Network.Identity;
using Consortia.Network.Protos;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Consortia.Network.Tests.Identity;

public sealed class AdminCredentialTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static DateTime Deadline => TimeProvider.System.GetUtcNow().UtcDateTime.AddSeconds(30);

    [Fact]
    public void IsValid_AcceptsOnlyTheBearerToken()
    {
        using TempDir dir = new();
        File.WriteAllText(dir.Combine("admin.token"), "s3cret-token-value\n");
        AdminCredential credential = AdminCredential.Load(dir.Combine("admin.token"));

        Assert.True(credential.IsValid("Bearer s3cret-token-value"));
        Assert.True(credential.IsValid("bearer s3cret-token-value"));
        Assert.False(credential.IsValid(null));
        Assert.False(credential.IsValid(""));
        Assert.False(credential.IsValid("Bearer "));
        Assert.False(credential.IsValid("s3cret-token-value"));
        Assert.False(credential.IsValid("Basic s3cret-token-value"));
        Assert.False(credential.IsValid("Bearer s3cret-token-valu"));
        Assert.False(credential.IsValid("Bearer s3cret-token-value2"));
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task AdminEndpoint_RefusesMissingAndWrongCredential_AcceptsTheRightOne()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        string home = host.Identity.Home;
        CallRecorder calls = new();
        // Any gRPC service can be guarded; the enrollment service stands in for the admin API here.
        Uri address = await host.ServeAsync(
            listen => host.Identity.UseServerTls(listen),
            services =>
            {
                services.AddSingleton(CoordinatorIdentity.AdminCredential(home));
                services.AddGrpc().AddServiceOptions<EnrollmentService>(o =>
                {
                    o.Interceptors.Add<AdminCredentialInterceptor>();
                    o.Interceptors.Add<CallRecorder>();
                });
            },
            app => host.Identity.MapEnrollment(app),
            calls);
        string token = AdminCredential.ReadToken(Path.Combine(home, IdentityFiles.AdminToken));
        using GrpcChannel plain = GrpcChannel.ForAddress(address, new GrpcChannelOptions { HttpHandler = MutualTls.CreatePinnedHandler(host.Identity.Ca, host.Time) });
        Enrollment.EnrollmentClient client = new(plain);

        RpcException missing = await Assert.ThrowsAsync<RpcException>(async () => await client.GetCaCertificateAsync(new CaCertificateRequest(), deadline: Deadline, cancellationToken: Cancel));
        RpcException wrong = await Assert.ThrowsAsync<RpcException>(async () => await client.GetCaCertificateAsync(new CaCertificateRequest(), AdminCredential.Headers(token[..^1] + (token[^1] == 'A' ? 'B' : 'A')), Deadline, Cancel));
        RpcException basic = await Assert.ThrowsAsync<RpcException>(async () => await client.GetCaCertificateAsync(new CaCertificateRequest(), new Metadata { { "authorization", "Basic " + token } }, Deadline, Cancel));

        Assert.All([missing, wrong, basic], e => Assert.Equal(StatusCode.Unauthenticated, e.StatusCode));
        Assert.Empty(calls.Calls);

        CaCertificateReply withHeaders = await client.GetCaCertificateAsync(new CaCertificateRequest(), AdminCredential.Headers(token), Deadline, Cancel);
        Assert.Equal(host.Identity.Ca.ExportCertificatePem(), withHeaders.CaCertificatePem);

        using GrpcChannel credentialed = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = MutualTls.CreatePinnedHandler(host.Identity.Ca, host.Time),
            Credentials = ChannelCredentials.Create(ChannelCredentials.SecureSsl, AdminCredential.CallCredentials(token)),
        });
        await new Enrollment.EnrollmentClient(credentialed).GetCaCertificateAsync(new CaCertificateRequest(), deadline: Deadline, cancellationToken: Cancel);
        Assert.Equal(2, calls.Calls.Count);
    }
}
