using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Governance.Agreements;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Roster;
using Consortia.Network.Configuration;
using Consortia.Network.Coordinator;
using Consortia.Network.Identity;
using Consortia.Network.Node;
using Consortia.Network.Protos;
using Consortia.Governance.Policies;
using Consortia.Network.Tests.Identity;
using Consortia.Network.Tests.Nodes;
using Consortia.TestKit;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Network.Tests.Coordinator;

/// <summary>
/// One coordinator hosting two consortia (two agreements made from the cardiology example, each with its own roster,
/// members and ledger), over real gRPC with mutual TLS on loopback and real enrolled site nodes: each consortium's job reaches only
/// its members, the two are in flight at once, a job outside its agreement is refused by clause, and each site fetches
/// its consortium's roster by name.
/// </summary>
public sealed class HostedConsortiaTests
{
    private const string Cardio = "heart-consortium";
    private const string Onco = "heart-second-cohort";
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    [Trait("Category", "Slow")]
    public async Task TwoConsortia_EachJobReachesOnlyItsMembers_BothInFlightAtOnce_AndABreachIsRefusedByClause()
    {
        await using Deployment d = await Deployment.StartAsync();
        // cleveland holds its announcement of the cardiology job until switzerland has been asked about the second consortium's job:
        // only a coordinator that has both jobs in flight at once gets past this.
        d.Handlers["cleveland"].HoldUntil = d.Handlers["switzerland"].Announced;

        JobOverview heart = await d.Admin.SubmitAsync(Job("heart-disease", Cardio), "heart.yaml", Cancel);
        JobOverview brca = await d.Admin.SubmitAsync(Job("heart-disease", Cardio).Replace($"consortium: {Cardio}", $"consortium: {Onco}", StringComparison.Ordinal), "second.yaml", Cancel);
        await d.Handlers["cleveland"].Released.Task.WaitAsync(s_wait, Cancel);
        await Eventually.TrueAsync(() => d.Handlers["hungarian"].Jobs.ContainsKey(heart.JobId) && d.Handlers["va"].Jobs.ContainsKey(brca.JobId), "both jobs announced to their other member", s_wait);

        Assert.Equal(Cardio, heart.Consortium);
        Assert.Equal(Onco, brca.Consortium);
        foreach ((string site, SiteHandler handler) in d.Handlers)
        {
            string[] expected = site switch
            {
                "cleveland" or "hungarian" => [heart.JobId],
                "switzerland" or "va" => [brca.JobId],
                _ => [], // 'stranger' is on the cardiology roster but not in its agreement; 'outsider' is in no consortium
            };
            Assert.Equal(expected, handler.Jobs.Keys.Order(StringComparer.Ordinal));
        }

        // A cardiology job declaring a purpose outside the agreement is refused by the coordinator, naming the clause.
        JobOverview breach = await d.Admin.SubmitAsync(Job("heart-disease", Cardio).Replace("purpose: cardiovascular-risk-prediction", "purpose: marketing", StringComparison.Ordinal), "breach.yaml", Cancel);
        JobOverview refused = await WaitForStatusAsync(d.Admin, breach.JobId, "refused");
        Assert.Contains(AgreementRules.Purpose, refused.Message, StringComparison.Ordinal);
        Assert.Contains("'marketing'", refused.Message, StringComparison.Ordinal);
        Assert.All(d.Handlers.Values, h => Assert.False(h.Jobs.ContainsKey(breach.JobId)));
        IReadOnlyList<JobOverview> listed = await d.Admin.ListAsync(Cancel);
        Assert.Equal(Cardio, listed.Single(j => j.JobId == breach.JobId).Consortium);

        await d.Admin.CancelAsync(heart.JobId, Cancel);
        await d.Admin.CancelAsync(brca.JobId, Cancel);
        await d.StopAsync();

        // Each consortium's ledger holds its own decisions: the refusal with its clause in the cardiology ledger only.
        PolicyDecisionEvent[] cardio = Decisions(d.LedgerOf(Cardio));
        PolicyDecisionEvent[] onco = Decisions(d.LedgerOf(Onco));
        Assert.Equal([heart.JobId, breach.JobId], cardio.Select(e => e.RunId).Distinct());
        Assert.Equal([brca.JobId], onco.Select(e => e.RunId).Distinct());
        PolicyDecisionEvent refusal = cardio.First(e => e.RunId == breach.JobId);
        Assert.False(refusal.Accepted);
        Assert.Contains(refusal.Rules, r => r.Rule == AgreementRules.Purpose && !r.Passed);
        RuleResult members = cardio.First(e => e.RunId == heart.JobId).Rules.Single(r => r.Rule == AgreementRules.Member);
        Assert.Contains("get no task: stranger", members.Reason, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task RosterFetch_ByConsortium_ServesEachConsortiumsRoster_AndAnUnknownNameIsNotFound()
    {
        await using Deployment d = await Deployment.StartAsync(startNodes: false);
        RosterDistribution.RosterDistributionClient client = new(d.Channel("switzerland"));

        RosterReply onco = await client.GetRosterAsync(new GetRosterRequest { Consortium = Onco }, cancellationToken: Cancel);
        RosterReply cardio = await client.GetRosterAsync(new GetRosterRequest { Consortium = Cardio }, cancellationToken: Cancel);
        RosterReply home = await client.GetRosterAsync(new GetRosterRequest(), cancellationToken: Cancel);
        RpcException unknown = await Assert.ThrowsAsync<RpcException>(() => client.GetRosterAsync(new GetRosterRequest { Consortium = "no-such-consortium" }, cancellationToken: Cancel).ResponseAsync);

        Assert.Equal(Onco, ConsortiumRoster.Parse(onco.RosterJson, "served").Consortium);
        Assert.Equal(["switzerland", "va"], ConsortiumRoster.Parse(onco.RosterJson, "served").Members.Select(m => m.Site));
        Assert.Equal(Cardio, ConsortiumRoster.Parse(cardio.RosterJson, "served").Consortium);
        Assert.Equal("", home.RosterJson); // the default consortium publishes no roster here
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("no-such-consortium", unknown.Status.Detail, StringComparison.Ordinal);
    }

    private static PolicyDecisionEvent[] Decisions(string ledger)
    {
        return [.. LedgerReader.Read(ledger).Entries.Select(e => e.Event).OfType<PolicyDecisionEvent>()];
    }

    /// <summary>A shipped example job, without its simulation-only sections (baselines, policies), in <paramref name="consortium"/>.</summary>
    private static string Job(string example, string consortium)
    {
        string text = File.ReadAllText(RepositoryPaths.Combine("examples", example, "fedavg.yaml"));
        text = text[..text.IndexOf("\nbaselines:", StringComparison.Ordinal)];
        Assert.Contains($"consortium: {consortium}", text, StringComparison.Ordinal);
        return text;
    }

    private static async Task<JobOverview> WaitForStatusAsync(JobAdminClient admin, string job, string status)
    {
        JobOverview current = await admin.GetAsync(job, Cancel);
        await Eventually.TrueAsync(() => (current = admin.GetAsync(job, Cancel).GetAwaiter().GetResult()).Status == status, () => $"job {job} {status} (now {current.Status}: {current.Message})", s_wait);
        return current;
    }

    /// <summary>A site node's work handler that records the jobs announced to it and declines them (nothing trains).</summary>
    private sealed class SiteHandler(string site) : ISiteWorkHandler
    {
        public SiteId Site { get; } = new(site);

        public ConcurrentDictionary<string, string> Jobs { get; } = new(StringComparer.Ordinal);

        public TaskCompletionSource Announced { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource? HoldUntil { get; set; }

        public async ValueTask<JobReadiness> PrepareJobAsync(string jobId, string jobYaml, CancellationToken cancellationToken)
        {
            Jobs.TryAdd(jobId, jobYaml);
            Announced.TrySetResult();
            if (HoldUntil is { } hold)
            {
                await hold.Task.WaitAsync(s_wait, cancellationToken);
                Released.TrySetResult();
            }

            return new JobReadiness(false, 0, "test-declines", "this test site runs nothing");
        }

        public ValueTask<SiteReply> HandleAsync(string jobId, SiteTask task, CancellationToken cancellationToken) =>
            throw new InvalidOperationException($"{site} got a task of job {jobId}, which it declined");

        public void EndJob(string jobId)
        {
        }
    }

    /// <summary>A provisioned coordinator home hosting both example consortia, its host, and enrolled site nodes.</summary>
    private sealed class Deployment : IAsyncDisposable
    {
        private static readonly string[] s_sites = ["cleveland", "hungarian", "stranger", "switzerland", "va", "outsider"];
        private readonly TempDir _dir = new();
        private readonly List<IDisposable> _owned = [];
        private readonly List<GrpcChannel> _channels = [];
        private readonly CancellationTokenSource _stopNodes = new();
        private readonly List<Task> _nodes = [];
        private WebApplication? _app;
        private CoordinatorConfig _config = null!;
        private Uri _sites = null!;

        public Dictionary<string, SiteHandler> Handlers { get; } = new(StringComparer.Ordinal);

        public JobAdminClient Admin { get; private set; } = null!;

        public string LedgerOf(string consortium) => _config.Consortia.Single(c => c.Name == consortium).Ledger!;

        public static async Task<Deployment> StartAsync(bool startNodes = true)
        {
            Deployment d = new();
            try
            {
                await d.StartCoreAsync(startNodes);
                return d;
            }
            catch
            {
                await d.DisposeAsync();
                throw;
            }
        }

        private async Task StartCoreAsync(bool startNodes)
        {
            string home = _dir.Combine("home");
            Dictionary<string, string> tokens = new(StringComparer.Ordinal);
            using (CoordinatorIdentity identity = CoordinatorIdentity.Provision("test", home, ["localhost", "127.0.0.1"], TimeProvider.System))
            {
                foreach (string site in s_sites)
                {
                    tokens[site] = identity.CreateToken(site, TimeSpan.FromHours(1));
                }
            }

            AgreementKit cardio = Own(new AgreementKit(Directory.CreateDirectory(_dir.Combine("cardio")).FullName).Sign());
            AgreementKit onco = Own(new AgreementKit(Directory.CreateDirectory(_dir.Combine("onco")).FullName));
            onco.Edit($"name: {Cardio}", $"name: {Onco}");
            onco.Sign();
            EcdsaLedgerSigner stranger = Own(EcdsaLedgerSigner.Generate());
            ConsortiumRoster cardioRoster = ConsortiumRoster.Empty(Cardio)
                .With(ConsortiumRoster.Join(Cardio, "cleveland", cardio.Key("cleveland")))
                .With(ConsortiumRoster.Join(Cardio, "hungarian", cardio.Key("hungarian")))
                .With(ConsortiumRoster.Join(Cardio, "stranger", stranger));
            ConsortiumRoster oncoRoster = ConsortiumRoster.Empty(Onco)
                .With(ConsortiumRoster.Join(Onco, "switzerland", onco.Key("switzerland")))
                .With(ConsortiumRoster.Join(Onco, "va", onco.Key("va")));
            await File.WriteAllTextAsync(_dir.Combine("cardio", "roster.json"), cardioRoster.ToJson(), Cancel);
            await File.WriteAllTextAsync(_dir.Combine("onco", "roster.json"), oncoRoster.ToJson(), Cancel);

            int[] ports = FreePorts(4);
            string configPath = _dir.Combine("coordinator.yaml");
            await File.WriteAllTextAsync(configPath, $"""
                home: home
                job_start_timeout: 10m
                listen:
                  sites: 127.0.0.1:{ports[0]}
                  enrollment: 127.0.0.1:{ports[1]}
                  admin: 127.0.0.1:{ports[2]}
                  health: 127.0.0.1:{ports[3]}
                consortia:
                  - name: {Cardio}
                    roster: cardio/roster.json
                    agreement: cardio/cardiology-agreement.yaml
                  - name: {Onco}
                    roster: onco/roster.json
                    agreement: onco/cardiology-agreement.yaml
                    ledger: ledgers/oncology.db
                """, Cancel);
            _config = CoordinatorConfig.Load(configPath);
            _app = CoordinatorHost.Build(_config, _ => { });
            await _app.StartAsync(Cancel);
            _sites = new Uri($"https://127.0.0.1:{ports[0]}");
            Admin = JobAdminClient.Connect(new Uri($"https://127.0.0.1:{ports[2]}"), await File.ReadAllTextAsync(Path.Combine(home, "ca.crt.pem"), Cancel), AdminCredential.ReadToken(Path.Combine(home, "admin.token")));
            foreach (string site in s_sites)
            {
                await NodeEnrollment.EnrollAsync(new Uri($"https://127.0.0.1:{ports[1]}"), tokens[site], _dir.Combine("sites", site), TimeProvider.System, Cancel);
                if (startNodes)
                {
                    SiteHandler handler = new(site);
                    Handlers[site] = handler;
                    SiteNode node = new(new SiteGateway.SiteGatewayClient(Channel(site)), handler, new SiteNodeOptions { InitialBackoff = TimeSpan.FromMilliseconds(20), MaxBackoff = TimeSpan.FromMilliseconds(200) }, TimeProvider.System, NullLogger.Instance);
                    _nodes.Add(Task.Run(() => node.RunAsync(_stopNodes.Token)));
                }
            }
        }

        /// <summary>A channel to the sites endpoint presenting <paramref name="site"/>'s enrolled certificate.</summary>
        public GrpcChannel Channel(string site)
        {
            SiteCredentials credentials = Own(SiteCredentials.Load(_dir.Combine("sites", site), site));
            GrpcChannel channel = GrpcChannel.ForAddress(_sites, new GrpcChannelOptions { HttpHandler = MutualTls.CreateSiteHandler(credentials, TimeProvider.System) });
            _channels.Add(channel);
            return channel;
        }

        public async Task StopAsync()
        {
            await _stopNodes.CancelAsync();
            await Task.WhenAll(_nodes).WaitAsync(s_wait, Cancel);
            if (_app is not null)
            {
                await _app.StopAsync(Cancel);
                await _app.DisposeAsync();
                _app = null;
            }
        }

        private T Own<T>(T item)
            where T : IDisposable
        {
            _owned.Add(item);
            return item;
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await StopAsync();
            }
            catch (Exception e) when (e is OperationCanceledException or TimeoutException)
            {
                // Already failing: the test's own assertion says why.
            }

            Admin?.Dispose();
            _channels.ForEach(c => c.Dispose());
            _owned.ForEach(o => o.Dispose());
            _stopNodes.Dispose();
            _dir.Dispose();
        }
    }

    private static int[] FreePorts(int count)
    {
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
