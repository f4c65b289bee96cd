using System.Text.Json.Nodes;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Roster;
using Consortia.Network.Configuration;
using Consortia.Network.Node;
using Consortia.Network.Protos;
using Consortia.Network.Tests.Identity;
using Consortia.TestKit;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Consortia.Network.Tests.Nodes;

/// <summary>
/// The roster over gRPC: the coordinator serves HOME/roster.json on the sites endpoint (mutual TLS), a node fetches it
/// and accepts it per its policy (automatic: additions only; manual: kept pending), and a roster that does not verify is
/// rejected and never stored. Real gRPC on loopback, real certificates.
/// </summary>
public sealed class RosterFetchTests : IDisposable
{
    private readonly EcdsaLedgerSigner _a = EcdsaLedgerSigner.Generate();
    private readonly EcdsaLedgerSigner _b = EcdsaLedgerSigner.Generate();
    private readonly EcdsaLedgerSigner _intruder = EcdsaLedgerSigner.Generate();
    private readonly List<AuditLedger> _ledgers = [];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        foreach (AuditLedger ledger in _ledgers)
        {
            ledger.Dispose();
        }

        _a.Dispose();
        _b.Dispose();
        _intruder.Dispose();
    }

    private ConsortiumRoster? _one;
    private ConsortiumRoster? _two;

    // Built once: ECDSA signatures are randomised, so signing again would give another roster hash.
    private ConsortiumRoster One() => _one ??= ConsortiumRoster.Empty("heart").With(ConsortiumRoster.Join("heart", "hospital-1", _a));

    private ConsortiumRoster Two() => _two ??= One().With(ConsortiumRoster.Join("heart", "hospital-2", _b));

    [Fact]
    public async Task AutomaticPolicy_FetchesAndAcceptsAnAddition_AndLedgersIt()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        (NodeConfig config, NodeIdentity identity) = await NodeAsync(host, automatic: true);
        using NodeIdentity owned = identity;
        RecordingLogger log = new();
        using RosterFetchLoop fetch = Loop(identity, config, log);
        await File.WriteAllTextAsync(host.Identity.RosterPath, One().ToJson(), Cancel);

        Assert.Equal(RosterFetchOutcome.Accepted, await fetch.FetchOnceAsync(Cancel));
        await File.WriteAllTextAsync(host.Identity.RosterPath, Two().ToJson(), Cancel);
        Assert.Equal(RosterFetchOutcome.Accepted, await fetch.FetchOnceAsync(Cancel));
        Assert.Equal(RosterFetchOutcome.Unchanged, await fetch.FetchOnceAsync(Cancel));

        Assert.Equal(Two().Sha256, fetch.Store.Accepted()!.Sha256);
        Assert.False(File.Exists(fetch.Store.ProposedPath));
        ConfigurationChangeEvent[] changes = [.. _ledgers[0].ReadEntries().Select(e => e.Event).OfType<ConfigurationChangeEvent>().Where(e => e.Item == RosterStore.LedgerItem)];
        Assert.Equal([One().Sha256, Two().Sha256], changes.Select(c => c.NewSha256));
        Assert.Equal(2, log.Count("accepted the roster of 'heart' served by the coordinator automatically"));
    }

    [Fact]
    public async Task AutomaticPolicy_ARekeyWaitsForTheOperator()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        (NodeConfig config, NodeIdentity identity) = await NodeAsync(host, automatic: true);
        using NodeIdentity owned = identity;
        RecordingLogger log = new();
        using RosterFetchLoop fetch = Loop(identity, config, log);
        await File.WriteAllTextAsync(host.Identity.RosterPath, One().ToJson(), Cancel);
        Assert.Equal(RosterFetchOutcome.Accepted, await fetch.FetchOnceAsync(Cancel));

        // What a coordinator installing a puppet proposes: the same member under a key it holds.
        ConsortiumRoster puppet = ConsortiumRoster.Empty("heart").With(ConsortiumRoster.Join("heart", "hospital-1", _intruder));
        await File.WriteAllTextAsync(host.Identity.RosterPath, puppet.ToJson(), Cancel);

        Assert.Equal(RosterFetchOutcome.Pending, await fetch.FetchOnceAsync(Cancel));
        Assert.Equal(One().Sha256, fetch.Store.Accepted()!.Sha256);
        Assert.Equal(puppet.Sha256, fetch.Store.Proposed()!.Sha256);
        Assert.Equal(1, log.Count("does not only add members"));
    }

    [Fact]
    public async Task ManualPolicy_KeepsTheFetchedRosterPending_AndSaysSoOnce()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        (NodeConfig config, NodeIdentity identity) = await NodeAsync(host, automatic: false);
        using NodeIdentity owned = identity;
        RecordingLogger log = new();
        using RosterFetchLoop fetch = Loop(identity, config, log);
        await File.WriteAllTextAsync(host.Identity.RosterPath, Two().ToJson(), Cancel);

        Assert.Equal(RosterFetchOutcome.Pending, await fetch.FetchOnceAsync(Cancel));
        Assert.Equal(RosterFetchOutcome.Pending, await fetch.FetchOnceAsync(Cancel));

        Assert.Null(fetch.Store.Accepted());
        Assert.Equal(Two().Sha256, fetch.Store.Proposed()!.Sha256);
        Assert.Equal(1, log.Count("consortia roster accept"));
        Assert.Equal(1, log.Count("roster.accept is manual"));
    }

    [Fact]
    public async Task NoPublishedRoster_NothingHappens()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        (NodeConfig config, NodeIdentity identity) = await NodeAsync(host, automatic: true);
        using NodeIdentity owned = identity;
        using RosterFetchLoop fetch = Loop(identity, config, new RecordingLogger());

        Assert.Equal(RosterFetchOutcome.NonePublished, await fetch.FetchOnceAsync(Cancel));
        Assert.False(File.Exists(fetch.Store.AcceptedPath));
    }

    [Fact]
    public async Task TamperedRosterFile_TheCoordinatorDoesNotServeIt()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        (NodeConfig config, NodeIdentity identity) = await NodeAsync(host, automatic: true);
        using NodeIdentity owned = identity;
        RecordingLogger log = new();
        using RosterFetchLoop fetch = Loop(identity, config, log);
        await File.WriteAllTextAsync(host.Identity.RosterPath, SwapKey(Two().ToJson(), "hospital-2", _intruder), Cancel);

        Assert.Equal(RosterFetchOutcome.Unreachable, await fetch.FetchOnceAsync(Cancel));
        Assert.Equal(1, log.Count("FailedPrecondition"));
        Assert.False(File.Exists(fetch.Store.AcceptedPath));
        Assert.False(File.Exists(fetch.Store.ProposedPath));
    }

    [Fact]
    public async Task RevokedSite_GetsNoRoster()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        (NodeConfig config, NodeIdentity identity) = await NodeAsync(host, automatic: true);
        using NodeIdentity owned = identity;
        RecordingLogger log = new();
        using RosterFetchLoop fetch = Loop(identity, config, log);
        await File.WriteAllTextAsync(host.Identity.RosterPath, Two().ToJson(), Cancel);
        host.Identity.Revoke("hospital-1");

        Assert.Equal(RosterFetchOutcome.Unreachable, await fetch.FetchOnceAsync(Cancel));
        Assert.Equal(1, log.Count("PermissionDenied"));
        Assert.False(File.Exists(fetch.Store.AcceptedPath));
    }

    [Theory]
    [InlineData("swapped-key")]
    [InlineData("wrong-hash")]
    [InlineData("not-json")]
    [InlineData("re-signed-entry")]
    public async Task HostileCoordinator_ServingARosterThatDoesNotVerify_IsRejected_LoggedAndNeverStored(string attack)
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        ConsortiumRoster genuine = Two();
        RosterReply forged = attack switch
        {
            "swapped-key" => new RosterReply { RosterJson = SwapKey(genuine.ToJson(), "hospital-2", _intruder), Sha256 = genuine.Sha256 },
            "wrong-hash" => new RosterReply { RosterJson = genuine.ToJson(), Sha256 = One().Sha256 },
            "not-json" => new RosterReply { RosterJson = "{\"format\": ", Sha256 = genuine.Sha256 },
            _ => new RosterReply { RosterJson = ReSign(genuine.ToJson(), "hospital-2"), Sha256 = genuine.Sha256 },
        };
        Uri hostile = await host.ServeAsync(
            listen => host.Identity.UseSiteTls(listen),
            services => services.AddSingleton(new HostileRosterService(forged)).AddGrpc(),
            app => app.MapGrpcService<HostileRosterService>());
        (NodeConfig config, NodeIdentity identity) = await NodeAsync(host, automatic: true, coordinator: hostile);
        using NodeIdentity owned = identity;
        RecordingLogger log = new();
        using RosterFetchLoop fetch = Loop(identity, config, log);

        Assert.Equal(RosterFetchOutcome.Rejected, await fetch.FetchOnceAsync(Cancel));

        Assert.Equal(1, log.Count("rejected the roster served by the coordinator"));
        Assert.False(File.Exists(fetch.Store.AcceptedPath));
        Assert.False(File.Exists(fetch.Store.ProposedPath));
    }

    [Fact]
    public async Task RunningLoop_FetchesAtStart_AndAgainWhenTheNodeConnects()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        (NodeConfig config, NodeIdentity identity) = await NodeAsync(host, automatic: true);
        using NodeIdentity owned = identity;
        using RosterFetchLoop fetch = Loop(identity, config, new RecordingLogger());
        await File.WriteAllTextAsync(host.Identity.RosterPath, One().ToJson(), Cancel);
        using CancellationTokenSource stop = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        Task run = fetch.RunAsync(stop.Token);

        await Eventually.TrueAsync(() => fetch.Store.Accepted()?.Sha256 == One().Sha256, "the roster fetched at start");
        await File.WriteAllTextAsync(host.Identity.RosterPath, Two().ToJson(), Cancel);
        fetch.FetchSoon(); // what the node's Connected event does; the interval (fake clock) never elapses here

        await Eventually.TrueAsync(() => fetch.Store.Accepted()?.Sha256 == Two().Sha256, "the roster fetched on connect");
        await stop.CancelAsync();
        await run;
    }

    private RosterFetchLoop Loop(NodeIdentity identity, NodeConfig config, RecordingLogger log) =>
        new(() => identity.Channel.CreateCallInvoker(), config, () => Ledger(config), TimeProvider.System, log, new Random(7));

    private AuditLedger Ledger(NodeConfig config)
    {
        if (_ledgers.Count == 0)
        {
            _ledgers.Add(AuditLedger.Open(Path.Combine(config.State, "ledger.db"), config.Site, LedgerRole.Site, _a, TimeProvider.System));
        }

        return _ledgers[0];
    }

    private static async Task<(NodeConfig, NodeIdentity)> NodeAsync(IdentityTestHost host, bool automatic, Uri? coordinator = null)
    {
        string folder = await host.EnrollAsync("hospital-1");
        NodeConfig config = NodeConnectionTests.Config(host, folder);
        config.Coordinator = (coordinator ?? host.SitesAddress).ToString();
        Directory.CreateDirectory(config.State);
        if (automatic)
        {
            string policy = host.Dir.Combine("policy.yaml");
            string strict = await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "policies", "heart-consortium-site.yaml"), Cancel);
            await File.WriteAllTextAsync(policy, strict + "\nroster:\n  accept: automatic\n", Cancel);
            config.Policy = policy;
        }

        return (config, NodeIdentity.Load(config, host.Time));
    }

    /// <summary>The roster with <paramref name="site"/>'s key replaced by <paramref name="key"/>'s, its signature kept.</summary>
    private static string SwapKey(string json, string site, EcdsaLedgerSigner key)
    {
        JsonNode root = JsonNode.Parse(json)!;
        JsonNode member = root["members"]!.AsArray().First(m => (string?)m!["site"] == site)!;
        member["public_key"] = Convert.ToBase64String(key.PublicKey.SubjectPublicKeyInfo.Span);
        root.AsObject().Remove("sha256");
        return root.ToJsonString();
    }

    /// <summary>The entry of <paramref name="site"/> re-signed by an intruder under the member's key (the signature is not the key's).</summary>
    private string ReSign(string json, string site)
    {
        RosterMember forged = ConsortiumRoster.Join("heart", site, _intruder);
        JsonNode root = JsonNode.Parse(json)!;
        JsonNode member = root["members"]!.AsArray().First(m => (string?)m!["site"] == site)!;
        member["join_signature"] = Convert.ToHexStringLower(forged.JoinSignature.Span);
        root.AsObject().Remove("sha256");
        return root.ToJsonString();
    }

    /// <summary>A coordinator that serves whatever roster the test gives it.</summary>
    private sealed class HostileRosterService(RosterReply reply) : RosterDistribution.RosterDistributionBase
    {
        public override Task<RosterReply> GetRoster(GetRosterRequest request, ServerCallContext context) => Task.FromResult(reply);
    }
}
