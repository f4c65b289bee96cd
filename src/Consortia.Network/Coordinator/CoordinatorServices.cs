using Consortia.Federation;
using Consortia.Federation.Jobs.Store;
using Consortia.Governance.Audit;
using Consortia.Network.Identity;
using Consortia.Network.Configuration;
using Consortia.Network.Protos;
using Consortia.Network.Transport;
using Consortia.Stores.PostgreSql;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Network.Coordinator;

/// <summary>Everything the coordinator's endpoints and job loop share, opened from its configuration.</summary>
internal sealed class CoordinatorServices : IDisposable
{
    private CoordinatorServices(CoordinatorConfig config, IJobStore jobs, CoordinatorIdentity identity, AdminCredential admin, NetworkMetrics metrics, GrpcSiteTransport transport, CoordinatorLedger ledger, HostedConsortia consortia)
    {
        Ledger = ledger.Ledger;
        Consortia = consortia;
        _ledger = ledger;
        Config = config;
        Jobs = jobs;
        Identity = identity;
        AdminCredential = admin;
        Metrics = metrics;
        Transport = transport;
    }

    private readonly CoordinatorLedger _ledger;

    public CoordinatorConfig Config { get; }

    /// <summary>The coordinator's audit ledger (<c>HOME/ledgers/coordinator.db</c>), written by the job runner.</summary>
    public AuditLedger Ledger { get; }

    /// <summary>The consortia hosted here: the default one (the home's roster, <see cref="Ledger"/>) and those configured.</summary>
    public HostedConsortia Consortia { get; }

    public IJobStore Jobs { get; }

    public CoordinatorIdentity Identity { get; }

    public AdminCredential AdminCredential { get; }

    public NetworkMetrics Metrics { get; }

    public GrpcSiteTransport Transport { get; }

    /// <summary>Opens the coordinator home's stores and identity.</summary>
    public static CoordinatorServices Open(CoordinatorConfig config, TimeProvider time)
    {
        CoordinatorIdentity identity = CoordinatorIdentity.Open(config.Home, time);
        IJobStore jobs = OpenJobStore(config, time);
        NetworkMetrics metrics = new();
        GrpcSiteTransport transport = new([], time, NullLogger.Instance, config.RoundTimeoutSpan, metrics);
        CoordinatorLedger ledger = CoordinatorLedger.Open(config.Home, time);
        HostedConsortia consortia = HostedConsortia.Open(config, identity.RosterPath, ledger.Ledger, ledger.Signer, time);
        return new CoordinatorServices(config, jobs, identity, CoordinatorIdentity.AdminCredential(config.Home), metrics, transport, ledger, consortia);
    }

    /// <summary>The job store <c>store:</c> selects: SQLite in the home (default) or PostgreSQL.</summary>
    private static IJobStore OpenJobStore(CoordinatorConfig config, TimeProvider time)
    {
        StoreConfig store = config.Store;
        int? keep = store.CheckpointsToKeep ?? 5;
        return store.IsPostgreSql
            ? PostgresJobStore.Open(new PostgresJobStoreOptions { ConnectionString = store.ResolveConnection(), CheckpointsToKeep = keep }, time)
            : SqliteJobStore.Open(new SqliteJobStoreOptions { Path = Path.Combine(config.Home, "coordinator.db"), CheckpointsToKeep = keep }, time);
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
        services.AddSingleton<IRosterSource>(Consortia);
        Identity.Register(services);
        services.AddSingleton(AdminCredential);
        services.AddSingleton<AdminCredentialInterceptor>();
        services.AddGrpc().AddServiceOptions<JobAdminService>(o => o.Interceptors.Add<AdminCredentialInterceptor>());
    }

    public void Dispose()
    {
        Consortia.Dispose();
        _ledger.Dispose();
        Jobs.Dispose();
        Identity.Dispose();
    }
}

/// <summary>
/// The coordinator's audit ledger and its signing key, in its home: <c>ledgers/coordinator.db</c>, with the key in
/// <c>ledger.key.pem</c> (owner-only) and <c>ledger.pub.pem</c> beside the home's other secrets, created at first start.
/// </summary>
internal sealed class CoordinatorLedger(AuditLedger ledger, EcdsaLedgerSigner signer) : IDisposable
{
    public AuditLedger Ledger { get; } = ledger;

    /// <summary>The coordinator's ledger key, which also signs each hosted consortium's ledger.</summary>
    public EcdsaLedgerSigner Signer { get; } = signer;

    public static CoordinatorLedger Open(string home, TimeProvider time)
    {
        EcdsaLedgerSigner signer = EcdsaLedgerSigner.LoadOrCreate(Path.Combine(home, "ledger.key.pem"), Path.Combine(home, "ledger.pub.pem"));
        try
        {
            string folder = Directory.CreateDirectory(Path.Combine(home, "ledgers")).FullName;
            return new CoordinatorLedger(AuditLedger.Open(Path.Combine(folder, "coordinator.db"), "coordinator", LedgerRole.Coordinator, signer, time), signer);
        }
        catch
        {
            signer.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        Ledger.Dispose();
        Signer.Dispose();
    }
}
