using System.Net;
using System.Text.Json;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Network.Configuration;
using Consortia.Network.Node;
using Consortia.Network.Tests.Identity;
using Consortia.TestKit;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Network.Tests.Nodes;

/// <summary>
/// Approval by a person (policy <c>approval: manual</c>): the node answers <c>awaiting-approval</c> until the site
/// officer decides, tells the officer once (command and webhook), and writes the decision to the site ledger.
/// </summary>
public sealed class ApprovalTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ManualApproval_WaitsForTheOfficer_NotifiesOnce_AndRecordsTheDecision()
    {
        using TempDir dir = new();
        using HttpListener webhook = new();
        int port = FreePort();
        webhook.Prefixes.Add($"http://127.0.0.1:{port}/approvals/");
        webhook.Start();
        Task<HttpListenerContext> posted = webhook.GetContextAsync();
        NodeConfig config = Config(dir, $"http://127.0.0.1:{port}/approvals/");
        string job = await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "heart-disease", "fedavg-secagg.yaml"), Cancel);
        FakeTimeProvider time = new(new DateTimeOffset(2026, 6, 1, 8, 0, 0, TimeSpan.Zero));
        using SiteJobHandler handler = new(config, time, NullLogger.Instance);

        JobReadiness first = await handler.PrepareJobAsync("run-17", job, Cancel);
        JobReadiness again = await handler.PrepareJobAsync("run-17", job, Cancel);

        Assert.False(first.Accepted);
        Assert.Equal("awaiting-approval", first.Code);
        Assert.Contains("consortia node approve run-17", first.Message, StringComparison.Ordinal);
        Assert.Equal("awaiting-approval", again.Code);
        // The webhook is answered first: the node's POST waits for the response before its notification completes.
        HttpListenerContext request = await posted.WaitAsync(TimeSpan.FromSeconds(30), Cancel);
        using (JsonDocument body = await JsonDocument.ParseAsync(request.Request.InputStream, cancellationToken: Cancel))
        {
            Assert.Equal("run-17", body.RootElement.GetProperty("run").GetString());
            Assert.Equal("alice@lead-hospital.example.org", body.RootElement.GetProperty("owner").GetString());
        }

        request.Response.Close();
        await Task.WhenAll(handler.ApprovalNotifications).WaitAsync(TimeSpan.FromSeconds(30), Cancel);
        Assert.Equal(2, handler.ApprovalNotifications.Count); // once, not at every ask: one command, one webhook
        Assert.Equal("run-17 heart-disease-fedavg-secagg hospital-1", (await File.ReadAllTextAsync(dir.Combine("notified.txt"), Cancel)).Trim());

        // The officer approves (another process: it writes the state folder only); the node takes the job next time.
        JobApprovals book = new(config.State);
        ApprovalRecord pending = Assert.Single(book.List());
        Assert.Equal(ApprovalState.Pending, pending.State);
        book.Decide("run-17", approve: true, "officer", "IRB-2026-042", time.GetUtcNow());
        Assert.Throws<InvalidOperationException>(() => book.Decide("run-17", approve: false, "officer", "late", time.GetUtcNow()));
        JobReadiness approved = await handler.PrepareJobAsync("run-17", job, Cancel);

        Assert.True(approved.Accepted, approved.Message);
        Assert.True(Assert.Single(book.List()).Recorded);
        handler.Dispose();
        PolicyDecisionEvent recorded = Assert.Single(ReadLedger(config).OfType<PolicyDecisionEvent>(), e => e.Rules.Any(r => r.Rule == "approval"));
        Assert.True(recorded.Accepted);
        Assert.Null(recorded.Round);
        Assert.Contains("run run-17 approved by officer", recorded.Rules.Single().Reason, StringComparison.Ordinal);
        Assert.Contains("IRB-2026-042", recorded.Rules.Single().Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectedJob_IsRefusedWithTheReason_AndAnotherManifestUnderTheSameRunIsNotApproved()
    {
        using TempDir dir = new();
        NodeConfig config = Config(dir, webhook: null);
        string job = await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "heart-disease", "fedavg-secagg.yaml"), Cancel);
        FakeTimeProvider time = new(new DateTimeOffset(2026, 6, 1, 8, 0, 0, TimeSpan.Zero));
        using SiteJobHandler handler = new(config, time, NullLogger.Instance);
        await handler.PrepareJobAsync("run-1", job, Cancel);
        await handler.PrepareJobAsync("run-2", job, Cancel);
        JobApprovals book = new(config.State);

        book.Decide("run-1", approve: false, "officer", "no ethics approval yet", time.GetUtcNow());
        book.Decide("run-2", approve: true, "officer", null, time.GetUtcNow());
        JobReadiness rejected = await handler.PrepareJobAsync("run-1", job, Cancel);
        JobReadiness changed = await handler.PrepareJobAsync("run-2", job.Replace("rounds: 15", "rounds: 16", StringComparison.Ordinal) + "\n# changed\n", Cancel);

        Assert.Equal(("rejected-by-site", false), (rejected.Code, rejected.Accepted));
        Assert.Contains("no ethics approval yet", rejected.Message, StringComparison.Ordinal);
        Assert.Equal(("manifest-changed", false), (changed.Code, changed.Accepted));
        Assert.Throws<InvalidOperationException>(() => book.Decide("run-9", approve: true, "officer", null, time.GetUtcNow()));
        Assert.False(JobApprovals.IsValidRun("../escape"));
    }

    private static NodeConfig Config(TempDir dir, string? webhook)
    {
        string policy = dir.Combine("policy.yaml");
        File.WriteAllText(policy, File.ReadAllText(RepositoryPaths.Combine("examples", "policies", "heart-consortium-site.yaml")) + "\napproval: manual\n");
        return new NodeConfig
        {
            Site = "hospital-1",
            Coordinator = "https://127.0.0.1:7443",
            Policy = policy,
            State = dir.Combine("state"),
            Data = new NodeDataConfig { Path = RepositoryPaths.Combine("data", "fed-heart-disease"), Site = "cleveland" },
            Approval = new NodeApprovalConfig
            {
                NotifyCommand = $"printf '%s %s %s' \"$CONSORTIA_RUN\" \"$CONSORTIA_JOB\" \"$CONSORTIA_SITE\" > '{dir.Combine("notified.txt")}'",
                NotifyWebhook = webhook,
            },
        };
    }

    private static List<LedgerEvent> ReadLedger(NodeConfig config) =>
        [.. LedgerReader.Read(Path.Combine(config.State, "ledger.db")).Entries.Select(e => e.Event)];

    private static int FreePort()
    {
        using System.Net.Sockets.TcpListener listener = new(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
