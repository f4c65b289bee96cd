using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Roster;
using Consortia.Learning;
using Consortia.Learning.Training;
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
/// One node process serving a hospital in two consortia: each job goes to its consortium's policy, data mapping and
/// budget, a job of a consortium the node is not in (or has left) is refused and logged, and each consortium's roster
/// is fetched over real gRPC (mutual TLS, loopback) and accepted into its own store.
/// </summary>
public sealed class MultiConsortiumNodeTests : IDisposable
{
    private const string Heart = "heart-consortium";
    private const string Tcga = "tcga-brca-consortium";
    private readonly TempDirectory _dir = new();
    private readonly EcdsaLedgerSigner _a = EcdsaLedgerSigner.Generate();
    private readonly EcdsaLedgerSigner _b = EcdsaLedgerSigner.Generate();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        _a.Dispose();
        _b.Dispose();
        _dir.Dispose();
    }

    /// <summary>The Cleveland Clinic: site 'cleveland' of the Heart data in the cardiology consortium, region 'Midwest' of TCGA-BRCA in the oncology one.</summary>
    private NodeConfig TwoConsortia(string state = "state") => new()
    {
        Site = "cleveland",
        Coordinator = "https://127.0.0.1:1",
        State = _dir.File(state),
        Consortia =
        [
            new NodeConsortiumConfig
            {
                Name = Heart,
                Policy = RepositoryPaths.Combine("examples", "policies", "heart-disease-research.yaml"),
                Data = new NodeDataConfig { Path = RepositoryPaths.Combine("data", "fed-heart-disease"), Site = "cleveland" },
            },
            new NodeConsortiumConfig
            {
                Name = Tcga,
                Policy = RepositoryPaths.Combine("examples", "policies", "tcga-brca-research.yaml"),
                Data = new NodeDataConfig { Path = RepositoryPaths.Combine("data", "fed-tcga-brca"), Site = "Midwest" },
            },
        ],
    };

    private static string Job(string example) => File.ReadAllText(RepositoryPaths.Combine("examples", example, "fedavg.yaml"));

    [Fact]
    public async Task OneNodeInTwoConsortia_RoutesEachJobToItsConsortiumsDataAndPolicy_AndRefusesAStrangersJob()
    {
        RecordingLogger log = new();
        using SiteJobHandler handler = new(TwoConsortia(), TimeProvider.System, log);
        string heartJob = Job("heart-disease");

        JobReadiness heart = await handler.PrepareJobAsync("run-heart", heartJob, Cancel);
        JobReadiness tcga = await handler.PrepareJobAsync("run-tcga", Job("tcga-brca"), Cancel);
        JobReadiness stranger = await handler.PrepareJobAsync("run-derm", heartJob.Replace($"consortium: {Heart}", "consortium: dermatology", StringComparison.Ordinal), Cancel);
        ParameterVector global = new(new Learning.Models.ModelSpec(Learning.Models.ModelKind.Logistic, heart.FeatureCount, []).CreateLayout());
        TrainTask task = new(handler.Site, new RoundNumber(1), global, new LocalTrainingOptions { BatchSize = 4, LocalSteps = 2 }) { Participants = 4, JobSha256 = Sha256Hex.OfText(heartJob) };
        SiteReply trained = await handler.HandleAsync("run-heart", task, Cancel);

        Assert.True(heart.Accepted, heart.Message);
        Assert.True(tcga.Accepted, tcga.Message);
        Assert.NotEqual(heart.FeatureCount, tcga.FeatureCount); // each consortium's own data mapping
        Assert.IsType<TrainingCompleted>(trained); // the cardiology policy allows it (a missing policy refuses every job)
        Assert.False(stranger.Accepted);
        Assert.Equal("consortium-unknown", stranger.Code);
        Assert.Contains("not a member of consortium 'dermatology'", stranger.Message, StringComparison.Ordinal);
        Assert.Equal(1, log.Count("runs in consortium 'dermatology', which this node does not serve"));
        Assert.Equal(["run-heart", "run-tcga"], handler.Jobs);
    }

    [Fact]
    public async Task BeforeANewJobIsPrepared_ItsConsortiumsMembershipIsHandedToTheHook_OncePerJob_AndNotForAStrangersJob()
    {
        using SiteJobHandler handler = new(TwoConsortia(), TimeProvider.System, new RecordingLogger());
        List<string> calls = []; // each call: the consortium, and how many jobs were prepared before it
        // The node fetches the consortium's roster here; the hook runs before the job is prepared with the accepted roster.
        handler.BeforePrepare = (membership, _) =>
        {
            calls.Add($"{membership.Consortium}:{handler.Jobs.Count}");
            return Task.CompletedTask;
        };
        string heartJob = Job("heart-disease");

        JobReadiness tcga = await handler.PrepareJobAsync("run-tcga", Job("tcga-brca"), Cancel);
        JobReadiness heart = await handler.PrepareJobAsync("run-heart", heartJob, Cancel);
        JobReadiness heartAgain = await handler.PrepareJobAsync("run-heart", heartJob, Cancel);
        JobReadiness stranger = await handler.PrepareJobAsync("run-derm", heartJob.Replace($"consortium: {Heart}", "consortium: dermatology", StringComparison.Ordinal), Cancel);

        Assert.True(tcga.Accepted && heart.Accepted && heartAgain.Accepted, $"{tcga.Message} {heart.Message}");
        Assert.Equal([$"{Tcga}:0", $"{Heart}:1"], calls);
        Assert.Equal("consortium-unknown", stranger.Code);
    }

    [Fact]
    public async Task AfterLeavingAConsortium_ItsNextJobIsRefused_TheOtherStillRuns_AndTheLedgerRecordsIt()
    {
        NodeConfig config = TwoConsortia();
        RecordingLogger log = new();
        using SiteJobHandler handler = new(config, TimeProvider.System, log);
        NodeMembership oncology = config.Membership(Tcga)!;

        bool left = MembershipRecord.Leave(oncology, handler.Ledger(), new DateTimeOffset(2027, 3, 1, 12, 0, 0, TimeSpan.Zero), "end of the collaboration");
        bool again = MembershipRecord.Leave(oncology, handler.Ledger(), new DateTimeOffset(2027, 3, 2, 12, 0, 0, TimeSpan.Zero), "twice");
        JobReadiness tcga = await handler.PrepareJobAsync("run-tcga", Job("tcga-brca"), Cancel);
        JobReadiness heart = await handler.PrepareJobAsync("run-heart", Job("heart-disease"), Cancel);

        Assert.True(left);
        Assert.False(again);
        Assert.False(tcga.Accepted);
        Assert.Equal("consortium-left", tcga.Code);
        Assert.Contains("left consortium 'tcga-brca-consortium' at 2027-03-01T12:00:00Z", tcga.Message, StringComparison.Ordinal);
        Assert.True(heart.Accepted, heart.Message);
        ConfigurationChangeEvent record = Assert.Single(handler.Ledger().ReadEntries().Select(e => e.Event).OfType<ConfigurationChangeEvent>(), e => e.Item == MembershipRecord.LedgerItem);
        Assert.Contains("left consortium 'tcga-brca-consortium' at 2027-03-01T12:00:00Z: end of the collaboration", record.Description, StringComparison.Ordinal);
        Assert.Equal(1, log.Count("this node left consortium 'tcga-brca-consortium'"));
    }

    [Fact]
    public void Memberships_EachConsortiumHasItsOwnStateFolder_AndTheSingleConsortiumConfigKeepsItsOwn()
    {
        NodeConfig two = TwoConsortia();
        NodeConfig single = new() { Site = "cleveland", State = _dir.File("single"), Policy = "p.yaml" };

        Assert.Equal([Heart, Tcga], two.Memberships().Select(m => m.Consortium));
        Assert.Equal(Path.Combine(_dir.File("state"), "consortia", Tcga), two.Membership(Tcga)!.StateFolder);
        Assert.Null(two.Membership("dermatology"));
        NodeMembership only = Assert.Single(single.Memberships());
        Assert.Null(only.Consortium);
        Assert.Equal(_dir.File("single"), only.StateFolder);
        Assert.Same(only.Policy, single.Membership("any-consortium")!.Policy);
    }

    [Theory]
    [InlineData("policy: top.yaml\nconsortia:\n  - name: heart\n    policy: p.yaml\n", "policy: with consortia:, each consortium names its own policy")]
    [InlineData("consortia:\n  - name: heart\n    policy: p.yaml\n  - name: heart\n    policy: q.yaml\n", "consortia[1].name: consortium 'heart' is listed twice")]
    [InlineData("consortia:\n  - name: ../etc\n    policy: p.yaml\n", "consortia[0].name: expected 1 to 64 characters")]
    [InlineData("consortia:\n  - name: heart\n", "consortia[0].policy: required")]
    [InlineData("consortia:\n  - name: heart\n    policy: p.yaml\n    data:\n      path: heart\n", "consortia[0].data.site: required")]
    public void Load_InvalidConsortia_NamesTheField(string consortia, string expected)
    {
        string path = _dir.File("site.yaml");
        File.WriteAllText(path, "site: cleveland\ncoordinator: https://127.0.0.1:7443\ndata:\n  path: data\n  site: cleveland\n" + consortia);

        ConfigurationException error = Assert.Throws<ConfigurationException>(() => NodeConfig.Load(path));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ConsortiaWithOwnData_NeedNoTopLevelData_AndPathsResolveBesideTheFile()
    {
        string path = _dir.File("site.yaml");
        File.WriteAllText(path, "site: cleveland\ncoordinator: https://127.0.0.1:7443\nconsortia:\n  - name: heart\n    policy: heart/policy.yaml\n    data: {path: heart-data, site: cleveland}\n    agreement: {file: heart/agreement.yaml}\n");

        NodeConfig config = NodeConfig.Load(path);

        NodeMembership heart = Assert.Single(config.Memberships());
        Assert.Equal(_dir.File(Path.Combine("heart", "policy.yaml")), heart.Policy);
        Assert.Equal(_dir.File("heart-data"), heart.Data.Path);
        Assert.Equal(_dir.File(Path.Combine("heart", "agreement.signatures.json")), heart.Agreement!.Signatures);
    }

    [Fact]
    public async Task RosterFetch_EachConsortiumsRosterIsFetchedAndAcceptedIntoItsOwnStore_OverMutualTls()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        ConsortiumRoster heart = ConsortiumRoster.Empty(Heart).With(ConsortiumRoster.Join(Heart, "hospital-1", _a));
        ConsortiumRoster tcga = ConsortiumRoster.Empty(Tcga).With(ConsortiumRoster.Join(Tcga, "hospital-1", _a)).With(ConsortiumRoster.Join(Tcga, "hospital-2", _b));
        Uri coordinator = await ServeRostersAsync(host, new Dictionary<string, ConsortiumRoster> { [Heart] = heart, [Tcga] = tcga });
        (NodeConfig config, NodeIdentity identity) = await NodeAsync(host, coordinator);
        using NodeIdentity owned = identity;
        using AuditLedger ledger = AuditLedger.Open(Path.Combine(config.State, "ledger.db"), config.Site, LedgerRole.Site, _a, TimeProvider.System);
        using RosterFetchLoop fetch = new(() => identity.Channel.CreateCallInvoker(), config, () => ledger, TimeProvider.System, new RecordingLogger(), new Random(7));

        IReadOnlyDictionary<string, RosterFetchOutcome> outcomes = await fetch.FetchAllAsync(Cancel);

        Assert.Equal(RosterFetchOutcome.Accepted, outcomes[Heart]);
        Assert.Equal(RosterFetchOutcome.Accepted, outcomes[Tcga]);
        Assert.Equal(heart.Sha256, fetch.StoreOf(Heart).Accepted()!.Sha256);
        Assert.Equal(tcga.Sha256, fetch.StoreOf(Tcga).Accepted()!.Sha256);
        Assert.Equal(2, ledger.ReadEntries().Select(e => e.Event).OfType<ConfigurationChangeEvent>().Count(e => e.Item == RosterStore.LedgerItem));
    }

    [Fact]
    public async Task RosterFetch_ACoordinatorServingOneConsortiumsRosterForAnother_IsRejectedAndNothingStored()
    {
        await using IdentityTestHost host = await IdentityTestHost.StartAsync();
        ConsortiumRoster heart = ConsortiumRoster.Empty(Heart).With(ConsortiumRoster.Join(Heart, "hospital-1", _a));
        Uri coordinator = await ServeRostersAsync(host, new Dictionary<string, ConsortiumRoster> { [Heart] = heart, [Tcga] = heart });
        (NodeConfig config, NodeIdentity identity) = await NodeAsync(host, coordinator);
        using NodeIdentity owned = identity;
        using AuditLedger ledger = AuditLedger.Open(Path.Combine(config.State, "ledger.db"), config.Site, LedgerRole.Site, _a, TimeProvider.System);
        RecordingLogger log = new();
        using RosterFetchLoop fetch = new(() => identity.Channel.CreateCallInvoker(), config, () => ledger, TimeProvider.System, log, new Random(7));

        RosterFetchOutcome outcome = await fetch.FetchOnceAsync(Tcga, Cancel);

        Assert.Equal(RosterFetchOutcome.Rejected, outcome);
        Assert.Equal(1, log.Count($"asked for the roster of '{Tcga}', the coordinator served the roster of '{Heart}'"));
        Assert.False(File.Exists(fetch.StoreOf(Tcga).AcceptedPath));
        Assert.False(File.Exists(fetch.StoreOf(Tcga).ProposedPath));
    }

    private static async Task<Uri> ServeRostersAsync(IdentityTestHost host, Dictionary<string, ConsortiumRoster> rosters) =>
        await host.ServeAsync(
            listen => host.Identity.UseSiteTls(listen),
            services => services.AddSingleton(new PerConsortiumRosterService(rosters)).AddGrpc(),
            app => app.MapGrpcService<PerConsortiumRosterService>());

    private async Task<(NodeConfig, NodeIdentity)> NodeAsync(IdentityTestHost host, Uri coordinator)
    {
        string folder = await host.EnrollAsync("hospital-1");
        NodeConfig config = NodeConnectionTests.Config(host, folder);
        config.Coordinator = coordinator.ToString();
        Directory.CreateDirectory(config.State);
        string strict = await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "policies", "heart-consortium-site.yaml"), Cancel);
        string policy = _dir.File("policy.yaml");
        await File.WriteAllTextAsync(policy, strict + "\nroster:\n  accept: automatic\n", Cancel);
        config.Policy = null;
        config.Consortia = [new NodeConsortiumConfig { Name = Heart, Policy = policy }, new NodeConsortiumConfig { Name = Tcga, Policy = policy }];
        return (config, NodeIdentity.Load(config, host.Time));
    }

    /// <summary>A coordinator serving each consortium's roster by the request's consortium (as the coordinator hosting several consortia does).</summary>
    private sealed class PerConsortiumRosterService(Dictionary<string, ConsortiumRoster> rosters) : RosterDistribution.RosterDistributionBase
    {
        public override Task<RosterReply> GetRoster(GetRosterRequest request, ServerCallContext context) =>
            Task.FromResult(rosters.TryGetValue(request.Consortium, out ConsortiumRoster? roster)
                ? new RosterReply { RosterJson = roster.ToJson(), Sha256 = roster.Sha256 }
                : new RosterReply());
    }
}
