using System.Net;
using Consortia.Dashboard.Hosting;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedOpt;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.TestKit;
using Microsoft.Extensions.Logging;

namespace Consortia.Dashboard.Tests;

/// <summary>A dashboard on real Kestrel (127.0.0.1, a free port) over an in-memory store the test fills round by round.</summary>
public sealed class DashboardHost : IAsyncDisposable
{
    public const string Token = "the-right-admin-token-for-tests";

    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 3, []);

    private DashboardHost(DashboardServer server, InMemoryJobStore store, CollectingLoggerProvider log)
    {
        Server = server;
        Store = store;
        Log = log;
        Client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = server.Address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public DashboardServer Server { get; }

    public InMemoryJobStore Store { get; }

    public CollectingLoggerProvider Log { get; }

    /// <summary>A client without cookies or redirects (each test says what it sends).</summary>
    public HttpClient Client { get; }

    /// <summary>Starts a dashboard.</summary>
    /// <param name="allowTokenLink">Whether <c>/login?token=</c> logs in.</param>
    /// <param name="time">The dashboard's clock (sessions, login lockouts, event polling); default the system's.</param>
    /// <param name="storeTime">The store's clock (jobs' update times); default the system's.</param>
    public static async Task<DashboardHost> StartAsync(bool allowTokenLink = false, TimeProvider? time = null, TimeProvider? storeTime = null)
    {
        InMemoryJobStore store = new(storeTime ?? TimeProvider.System);
        CollectingLoggerProvider log = new();
        DashboardOptions options = new()
        {
            Jobs = store,
            IsAdminToken = AdminTokens.Matching(Token),
            Time = time ?? TimeProvider.System,
            PollInterval = TimeSpan.FromMilliseconds(20),
            Consortia = () => [new DashboardConsortium("heart-consortium", ["a", "b", "c"], new LedgerHead("abc123", 7))],
            Ledger = () => new LedgerHead("ffee00", 42),
            AllowTokenLink = allowTokenLink,
            SecureCookie = false,
        };
        DashboardServer server = await DashboardServer.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), options, b => b.AddProvider(log), TestContext.Current.CancellationToken);
        return new DashboardHost(server, store, log);
    }

    /// <summary>
    /// A client (no cookies, no redirects) whose connections come from <paramref name="local"/>, another loopback
    /// address (127.0.0.0/8 is all loopback on Linux), so the server sees a different peer address.
    /// </summary>
    public HttpClient ClientFrom(IPAddress local) =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectCallback = async (context, cancellationToken) =>
            {
                System.Net.Sockets.Socket socket = new(local.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                try
                {
                    socket.Bind(new IPEndPoint(local, 0));
                    await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        { BaseAddress = Server.Address, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Submits a job from an example job file and marks it running.</summary>
    public string StartJob(string example = "fedavg-secagg.yaml", int rounds = 3)
    {
        string yaml = File.ReadAllText(RepositoryPaths.Combine("examples", "heart-disease", example));
        string id = Store.SubmitJob(new JobSubmission("heart", "alice", yaml, rounds)).Id;
        Store.MarkRunning(id, Model(0), new FedOptState([0f], [0f]));
        return id;
    }

    public void Commit(string id, int round) =>
        Store.CommitRound(id, new RoundNumber(round), Model(round), new FedOptState([round], [round]), Report(round));

    /// <summary>A report with contributors, a refusal, a dropout, per-site and global metrics and privacy accounting.</summary>
    public static RoundReport Report(int round) =>
        new(new RoundNumber(round), [new SiteId("a"), new SiteId("b")],
            [new Refused(new SiteId("c"), new RoundNumber(round), "dp.max_epsilon", "ε would exceed the ceiling")],
            [new Missed(new SiteId("d"), new RoundNumber(round))],
            1.0 / (round + 2),
            new MetricSummary(
                [new MetricValue(MetricKind.Accuracy, 0.6 + (0.01 * round)), new MetricValue(MetricKind.RocAuc, 0.7 + (0.013 * round))],
                [new MetricValue(MetricKind.Accuracy, 0.61 + (0.01 * round)), new MetricValue(MetricKind.RocAuc, 0.71 + (0.013 * round))],
                [
                    new EvaluationReport(new SiteId("a"), 30, [new MetricValue(MetricKind.Accuracy, 0.5 + (0.1 / 3 * round)), new MetricValue(MetricKind.RocAuc, 0.65 + (0.02 * round))]),
                    new EvaluationReport(new SiteId("b"), 20, [new MetricValue(MetricKind.Accuracy, 0.7 + (0.01 * round)), new MetricValue(MetricKind.RocAuc, double.NaN)]),
                ]),
            true, TimeSpan.FromMilliseconds(150 * round))
        {
            UpdateHashes = [new(new SiteId("a"), "00ff" + round), new(new SiteId("b"), "ee11" + round)],
            Privacy =
            [
                new SitePrivacyReport(new SiteId("a"), 0.3 * round, 1e-5, 1.1, 0.01, 12L * round, 1.0 + (0.3 * round), 8.0) { RoundEpsilon = 1.0 / 3 }, // 18 characters in full: the page shows 4 significant digits
                new SitePrivacyReport(new SiteId("b"), 0.45 * round, 1e-5, 0.9, 1.0, round, null, null) { Mechanism = "distributed_skellam" },
            ],
        };

    public static GlobalModel Model(int round)
    {
        ParameterVector p = new(s_spec.CreateLayout());
        p.Values.Fill(round);
        return new GlobalModel(s_spec, p, new RoundNumber(round));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Store.Dispose();
        Log.Dispose();
    }
}
