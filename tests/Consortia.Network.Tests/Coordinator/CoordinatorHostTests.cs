using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Consortia.Network.Configuration;
using Consortia.Network.Coordinator;
using Consortia.Network.Identity;
using Consortia.Network.Tests.Identity;
using Microsoft.AspNetCore.Builder;

namespace Consortia.Network.Tests.Coordinator;

/// <summary>The coordinator's endpoint groups answer on their own listener only, whatever the client writes in :authority.</summary>
public sealed class CoordinatorHostTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task EnrollmentPort_WithAForgedAuthority_DoesNotServeAdminOrMetrics()
    {
        // Attack 7: a client on the enrollment port (TLS, no client certificate) names the admin or health port in :authority.
        using TempDir dir = new();
        string home = dir.Combine("home");
        using X509Certificate2 ca = ProvisionAndGetCa(home);
        int[] ports = FreePorts(4);
        (int sites, int enroll, int admin, int health) = (ports[0], ports[1], ports[2], ports[3]);
        CoordinatorConfig config = new()
        {
            Home = home,
            Listen = new ListenConfig { Sites = $"127.0.0.1:{sites}", Enrollment = $"127.0.0.1:{enroll}", Admin = $"127.0.0.1:{admin}", Health = $"127.0.0.1:{health}" },
        };
        await using WebApplication app = CoordinatorHost.Build(config, _ => { });
        await app.StartAsync(TestContext.Current.CancellationToken);
        using HttpClient tls = new(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, server, _, errors) => MutualTls.IsTrustedServer(server, errors, ca, TimeProvider.System.GetUtcNow(), out _) },
        });
        using HttpClient plain = new();

        HttpStatusCode metricsViaEnrollment = await SendAsync(tls, HttpMethod.Get, $"https://127.0.0.1:{enroll}/metrics", $"127.0.0.1:{health}");
        HttpStatusCode adminViaEnrollment = await SendAsync(tls, HttpMethod.Post, $"https://127.0.0.1:{enroll}/consortia.v1.JobAdmin/ListJobs", $"127.0.0.1:{admin}");
        HttpStatusCode metricsOnHealth = await SendAsync(plain, HttpMethod.Get, $"http://127.0.0.1:{health}/metrics", $"127.0.0.1:{enroll}", HttpVersion.Version11);

        Assert.Equal(HttpStatusCode.NotFound, metricsViaEnrollment);
        Assert.Equal(HttpStatusCode.NotFound, adminViaEnrollment);
        Assert.Equal(HttpStatusCode.OK, metricsOnHealth); // the health listener serves it whatever the header says
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [Trait("Category", "Slow")]
    [InlineData("fedavg.yaml", "scheduling:\n  buffer: 3\n", "fedavg.yaml: scheduling.buffer (3)")]
    public async Task SubmitJob_WithASimulationOnlyMethod_IsRefusedNamingTheField_AndNothingIsStored(string example, string? appended, string expected)
    {
        // FedBuff carries updates over rounds in simulation only: a deployment must not run the job without it.
        // (Group reweighting runs deployed: ReweightingDeploymentTests.)
        using TempDir dir = new();
        string home = dir.Combine("home");
        using X509Certificate2 ca = ProvisionAndGetCa(home);
        int[] ports = FreePorts(4);
        CoordinatorConfig config = new()
        {
            Home = home,
            Listen = new ListenConfig { Sites = $"127.0.0.1:{ports[0]}", Enrollment = $"127.0.0.1:{ports[1]}", Admin = $"127.0.0.1:{ports[2]}", Health = $"127.0.0.1:{ports[3]}" },
        };
        await using WebApplication app = CoordinatorHost.Build(config, _ => { });
        await app.StartAsync(TestContext.Current.CancellationToken);
        using JobAdminClient admin = JobAdminClient.Connect(new Uri($"https://127.0.0.1:{ports[2]}"), ca.ExportCertificatePem(), AdminCredential.ReadToken(Path.Combine(home, "admin.token")));
        string text = await File.ReadAllTextAsync(TestKit.RepositoryPaths.Combine("examples", "heart-disease", example), TestContext.Current.CancellationToken);
        text = appended is null ? text : text[..text.IndexOf("\nbaselines:", StringComparison.Ordinal)] + "\n" + appended;

        Grpc.Core.RpcException refused = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => admin.SubmitAsync(text, example, TestContext.Current.CancellationToken));

        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains(expected, refused.Status.Detail, StringComparison.Ordinal);
        Assert.Empty(await admin.ListAsync(TestContext.Current.CancellationToken));
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task DashboardPort_OverTls_ServesTheDashboardWithTheAdminToken_AndOnlyOnItsPort()
    {
        using TempDir dir = new();
        string home = dir.Combine("home");
        using X509Certificate2 ca = ProvisionAndGetCa(home);
        int[] ports = FreePorts(5);
        CoordinatorConfig config = new()
        {
            Home = home,
            Listen = new ListenConfig
            {
                Sites = $"127.0.0.1:{ports[0]}", Enrollment = $"127.0.0.1:{ports[1]}", Admin = $"127.0.0.1:{ports[2]}", Health = $"127.0.0.1:{ports[3]}", Dashboard = $"127.0.0.1:{ports[4]}",
            },
        };
        string token = AdminCredential.ReadToken(Path.Combine(home, "admin.token"));
        await using WebApplication app = CoordinatorHost.Build(config, _ => { });
        await app.StartAsync(TestContext.Current.CancellationToken);
        using HttpClient tls = new(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, server, _, errors) => MutualTls.IsTrustedServer(server, errors, ca, TimeProvider.System.GetUtcNow(), out _) },
        });

        (HttpStatusCode status, string body) withToken = await GetAsync(tls, $"https://127.0.0.1:{ports[4]}/api/jobs", token);
        (HttpStatusCode status, string _) withoutToken = await GetAsync(tls, $"https://127.0.0.1:{ports[4]}/api/jobs", null);
        (HttpStatusCode status, string _) wrongToken = await GetAsync(tls, $"https://127.0.0.1:{ports[4]}/api/ledger", "guess");
        (HttpStatusCode status, string body) ledger = await GetAsync(tls, $"https://127.0.0.1:{ports[4]}/api/ledger", token);
        (HttpStatusCode status, string _) tokenLink = await GetAsync(tls, $"https://127.0.0.1:{ports[4]}/login?token={token}", null);
        (HttpStatusCode status, string _) onEnrollment = await GetAsync(tls, $"https://127.0.0.1:{ports[1]}/api/jobs", token, HttpVersion.Version20);
        (HttpStatusCode status, string _) metricsOnDashboard = await GetAsync(tls, $"https://127.0.0.1:{ports[4]}/metrics", token);

        Assert.Equal(HttpStatusCode.OK, withToken.status);
        Assert.Equal("[]", withToken.body);
        Assert.Equal(HttpStatusCode.Unauthorized, withoutToken.status);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongToken.status);
        Assert.Equal(HttpStatusCode.OK, ledger.status);
        Assert.Contains("\"length\":", ledger.body, StringComparison.Ordinal); // the coordinator's ledger head
        Assert.Equal(HttpStatusCode.BadRequest, tokenLink.status); // a coordinator takes the token only from the login form
        Assert.Equal(HttpStatusCode.NotFound, onEnrollment.status);
        Assert.Equal(HttpStatusCode.NotFound, metricsOnDashboard.status);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }

    private static async Task<(HttpStatusCode, string)> GetAsync(HttpClient client, string url, string? token, Version? version = null)
    {
        using HttpRequestMessage request = new(HttpMethod.Get, url) { Version = version ?? HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        using HttpResponseMessage response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    private static X509Certificate2 ProvisionAndGetCa(string home)
    {
        using CoordinatorIdentity identity = CoordinatorIdentity.Provision("test", home, ["localhost", "127.0.0.1"], TimeProvider.System);
        return X509CertificateLoader.LoadCertificate(identity.Ca.RawData);
    }

    private static async Task<HttpStatusCode> SendAsync(HttpClient client, HttpMethod method, string url, string authority, Version? version = null)
    {
        using HttpRequestMessage request = new(method, url)
        {
            Version = version ?? HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.Host = authority;
        if (method == HttpMethod.Post)
        {
            // A well-formed empty gRPC message: one frame header (not compressed, length 0).
            request.Content = new ByteArrayContent(new byte[5]);
            request.Content.Headers.ContentType = new("application/grpc");
            request.Headers.TryAddWithoutValidation("te", "trailers");
        }

        using HttpResponseMessage response = await client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private static int[] FreePorts(int count)
    {
        // Held together until all are known so that no two are equal; a race with another process is possible but rare.
        TcpListener[] listeners = [.. Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0))];
        foreach (TcpListener listener in listeners)
        {
            listener.Start();
        }

        int[] ports = [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        foreach (TcpListener listener in listeners)
        {
            listener.Stop();
        }

        return ports;
    }
}
