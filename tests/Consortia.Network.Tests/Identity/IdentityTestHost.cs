using System.Collections.Concurrent;
using System.Net;
using Consortia.Federation;
using Consortia.Network.Coordinator;
using Consortia.Network.Identity;
using Consortia.Network.Transport;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Network.Tests.Identity;

/// <summary>A temporary directory removed at the end of a test.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("consortia-identity-").FullName;
    }

    public string Path { get; }

    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <summary>The file's Unix permissions (null on Windows).</summary>
    public static UnixFileMode? ModeOf(string path) => OperatingSystem.IsWindows() ? null : File.GetUnixFileMode(path);

    public static UnixFileMode OwnerOnly => UnixFileMode.UserRead | UnixFileMode.UserWrite;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Records every call a server receives (method and serialized request), and the site the per-call check set.</summary>
internal sealed class CallRecorder : Interceptor
{
    public ConcurrentQueue<(string Method, byte[] Request)> Calls { get; } = new();

    public ConcurrentQueue<SiteId> Sites { get; } = new();

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Calls.Enqueue((context.Method, request is IMessage message ? message.ToByteArray() : []));
        if (context.UserState.ContainsKey("consortia.site"))
        {
            Sites.Enqueue(context.GetSiteIdentity());
        }

        return continuation(request, context);
    }
}

/// <summary>
/// A provisioned coordinator home with its enrollment endpoint (TLS) and sites endpoint (mutual TLS) on
/// real loopback sockets, each in its own Kestrel, sharing one <see cref="CoordinatorIdentity"/> and a fake clock.
/// </summary>
internal sealed class IdentityTestHost : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private readonly List<WebApplication> _apps = [];

    private IdentityTestHost(TempDir dir, CoordinatorIdentity identity, FakeTimeProvider time)
    {
        Dir = dir;
        Identity = identity;
        Time = time;
    }

    public TempDir Dir { get; }

    public CoordinatorIdentity Identity { get; }

    public FakeTimeProvider Time { get; }

    public GrpcSiteTransport Transport { get; private set; } = null!;

    public CallRecorder EnrollmentCalls { get; } = new();

    public CallRecorder SiteCalls { get; } = new();

    public Uri EnrollmentAddress { get; private set; } = null!;

    public Uri SitesAddress { get; private set; } = null!;

    public static async Task<IdentityTestHost> StartAsync(IReadOnlyList<string>? hosts = null)
    {
        TempDir dir = new();
        FakeTimeProvider time = new(Start);
        CoordinatorIdentity identity = CoordinatorIdentity.Provision("test", dir.Combine("home"), hosts ?? ["localhost", "127.0.0.1"], time);
        IdentityTestHost host = new(dir, identity, time);
        host.Transport = new GrpcSiteTransport([], time, NullLogger.Instance);
        host.EnrollmentAddress = await host.ServeAsync(
            listen => identity.UseServerTls(listen),
            services => services.AddGrpc(o => o.Interceptors.Add<CallRecorder>()),
            app => identity.MapEnrollment(app),
            host.EnrollmentCalls);
        host.SitesAddress = await host.ServeAsync(
            listen => identity.UseSiteTls(listen),
            services =>
            {
                services.AddSingleton(host.Transport);
                services.AddSingleton(new NetworkMetrics());
                identity.Register(services);
                // Runs after the site check, so it sees the site the check set.
                services.AddGrpc().AddServiceOptions<SiteGatewayService>(o => o.Interceptors.Add<CallRecorder>());
            },
            app =>
            {
                app.MapGrpcService<SiteGatewayService>();
                identity.MapRenewal(app);
                identity.MapRoster(app);
            },
            host.SiteCalls);
        return host;
    }

    /// <summary>Serves <paramref name="map"/> on a new loopback endpoint configured by <paramref name="tls"/>.</summary>
    public async Task<Uri> ServeAsync(Action<ListenOptions> tls, Action<IServiceCollection> services, Action<WebApplication> map, CallRecorder? recorder = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(Identity);
        builder.Services.AddSingleton(recorder ?? new CallRecorder());
        services(builder.Services);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            tls(listen);
        }));
        WebApplication app = builder.Build();
        map(app);
        await app.StartAsync(TestContext.Current.CancellationToken);
        _apps.Add(app);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address);
    }

    /// <summary>Enrolls <paramref name="site"/> into a new identity folder with a fresh token.</summary>
    public async Task<string> EnrollAsync(string site)
    {
        string token = Identity.CreateToken(site, TimeSpan.FromHours(24));
        string folder = Dir.Combine("sites", site);
        await NodeEnrollment.EnrollAsync(EnrollmentAddress, token, folder, Time, TestContext.Current.CancellationToken);
        return folder;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (WebApplication app in _apps)
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }

        Identity.Dispose();
        Dir.Dispose();
    }
}
