using Consortia.Federation;
using Consortia.Federation.Jobs;
using Consortia.Network.Configuration;
using Consortia.Network.Protos;
using Consortia.Network.Transport;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Network.Coordinator;

/// <summary>A job as the coordinator's store holds it.</summary>
internal sealed record StoredJob(string Id, string Name, string Status, string? Message, int RoundsCompleted, int RoundsTotal, DateTimeOffset SubmittedAt, string Yaml);

/// <summary>The coordinator's job store as the hosts use it (SQLite; see Persistence).</summary>
internal interface IJobStore : IDisposable
{
    public string Submit(string name, string owner, string yaml, int rounds);

    public StoredJob? Get(string id);

    public IReadOnlyList<StoredJob> List();

    public IReadOnlyList<RoundSummary> Rounds(string id);

    /// <summary>The job to run next: one left running by an earlier process first, then the oldest queued.</summary>
    public StoredJob? NextRunnable();

    public void MarkRunning(string id);

    public void MarkFailed(string id, string message);

    public void MarkCancelled(string id, string message);

    public void RequestCancel(string id);

    /// <summary>Runs (or resumes) the job's rounds, committing each before the next; marks it completed.</summary>
    public Task RunAsync(string id, JobDefinition job, GrpcSiteTransport transport, GlobalModel initial, NetworkMetrics metrics, CancellationToken cancellationToken);
}

/// <summary>The coordinator's identity services: TLS for its endpoints, enrollment, and the enrolled sites.</summary>
internal interface ICoordinatorIdentity : IDisposable
{
    /// <summary>TLS 1.3 with client certificates required, validated against the consortium CA and the revocation list.</summary>
    public void UseSiteTls(ListenOptions listen);

    /// <summary>TLS 1.3 with the coordinator's certificate (enrollment and admin endpoints).</summary>
    public void UseServerTls(ListenOptions listen);

    /// <summary>Registers what the identity endpoints need (interceptors, stores).</summary>
    public void Register(IServiceCollection services);

    /// <summary>Maps the enrollment service.</summary>
    public IEndpointConventionBuilder MapEnrollment(IEndpointRouteBuilder app);

    /// <summary>The sites enrolled and not revoked, in canonical (ordinal) order.</summary>
    public IReadOnlyList<SiteId> ActiveSites();
}

/// <summary>Checks the admin bearer credential of an admin call.</summary>
internal interface IAdminCredential
{
    /// <exception cref="RpcException">Unauthenticated: the credential is missing or wrong.</exception>
    public void Check(ServerCallContext context);
}

/// <summary>Everything the coordinator's endpoints and job loop share, opened from its configuration.</summary>
internal sealed class CoordinatorServices : IDisposable
{
    private CoordinatorServices(CoordinatorConfig config, IJobStore jobs, ICoordinatorIdentity sites, IAdminCredential admin, NetworkMetrics metrics, GrpcSiteTransport transport)
    {
        Config = config;
        Jobs = jobs;
        Sites = sites;
        Identity = sites;
        AdminCredential = admin;
        Metrics = metrics;
        Transport = transport;
    }

    public CoordinatorConfig Config { get; }

    public IJobStore Jobs { get; }

    public ICoordinatorIdentity Sites { get; }

    public ICoordinatorIdentity Identity { get; }

    public IAdminCredential AdminCredential { get; }

    public NetworkMetrics Metrics { get; }

    public GrpcSiteTransport Transport { get; }

    /// <summary>Opens the coordinator home's stores and identity.</summary>
    public static CoordinatorServices Open(CoordinatorConfig config, TimeProvider time)
    {
        ICoordinatorIdentity identity = CoordinatorIdentity.Open(config.Home, time);
        IJobStore jobs = SqliteJobStore.Open(Path.Combine(config.Home, "coordinator.db"), time);
        NetworkMetrics metrics = new();
        GrpcSiteTransport transport = new([], time, NullLogger.Instance, config.RoundTimeoutSpan, metrics);
        return new CoordinatorServices(config, jobs, identity, CoordinatorIdentity.AdminCredential(config.Home), metrics, transport);
    }

    /// <summary>Registers the shared services for dependency injection.</summary>
    public void Register(IServiceCollection services)
    {
        services.AddSingleton(this);
        services.AddSingleton(Transport);
        services.AddSingleton(Metrics);
        services.AddSingleton<CoordinatorJobLoop>();
        services.AddHostedService(sp => sp.GetRequiredService<CoordinatorJobLoop>());
        services.AddSingleton(TimeProvider.System);
        services.AddHostedService<RevocationWatch>();
        Identity.Register(services);
    }

    public void Dispose()
    {
        Jobs.Dispose();
        Identity.Dispose();
    }
}
