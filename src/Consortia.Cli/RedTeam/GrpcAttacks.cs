using Consortia.Cli.Deployment;
using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Jobs;
using Consortia.Federation.RedTeam;
using Consortia.Federation.Sites;
using Consortia.Learning;
using Consortia.Network.Configuration;
using Consortia.Network.Coordinator;
using Consortia.Network.Node;
using Consortia.Network.Transport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Consortia.Cli.RedTeam;

/// <summary>
/// The downgrade and puppet attacks over the wire: each heart-disease site is a real <c>consortia node</c> process,
/// provisioned, enrolled and started as docs/deployment.md says, connected over mutual-TLS gRPC on loopback to a
/// coordinator the red team controls — the real coordinator host and transport, with the job loop replaced by the
/// attacker, who announces a job the sites' policies accept and then sends them crafted tasks.
/// </summary>
/// <remarks>
/// A node process has no weakened configuration: nothing in its configuration can turn a protection off. With
/// <c>--unprotected</c> these attacks therefore still meet the real sites, and the report says so.
/// </remarks>
internal static class GrpcAttacks
{
    /// <summary>How long the whole exercise may take (provisioning, four enrollments, four nodes, two tasks).</summary>
    private static readonly TimeSpan s_limit = TimeSpan.FromMinutes(4);

    /// <summary>Runs <c>downgrade-grpc</c> and <c>puppet-grpc</c>.</summary>
    /// <param name="heartDiseaseData">The heart-disease folder.</param>
    /// <param name="unprotected">Whether this is the <c>--unprotected</c> run (the nodes are the product as shipped either way).</param>
    /// <param name="cancellationToken">Cancels the attacks (every process started is stopped).</param>
    /// <returns>The two outcomes.</returns>
    public static async Task<AttackOutcome[]> RunAsync(string heartDiseaseData, bool unprotected, CancellationToken cancellationToken)
    {
        string data = Path.GetFullPath(heartDiseaseData);
        string root = Path.Combine(Path.GetTempPath(), "consortia-redteam-grpc-" + Guid.NewGuid().ToString("N"));
        string yaml = CoordinatorRedTeam.JobText("grpc", data, CoordinatorRedTeam.SecureAggregationSection);
        JobDefinition job = JobFile.Parse(yaml, Path.Combine(root, "redteam-grpc.yaml"));
        string[] sites = [.. FederatedDataLoader.Load(job.Data, data).Sites.Select(s => s.Name).Order(StringComparer.Ordinal)];
        using CancellationTokenSource limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(s_limit);

        await using LocalConsortium consortium = await LocalConsortium.ProvisionAsync(new LocalConsortiumOptions
        {
            Root = root,
            ConsortiumName = "heart-consortium",
            RosterSites = sites, // each node's accepted roster: the four hospitals, no puppet
            RosterConsortium = "heart-consortium",
            DeleteRootOnDispose = true,
        }, limit.Token).ConfigureAwait(false);
        string policy = Path.Combine(root, "policy.yaml");
        await File.WriteAllTextAsync(policy, CoordinatorRedTeam.PolicyText(strict: true), limit.Token).ConfigureAwait(false);

        // The attacker's coordinator: the real host on the consortium's home and ports, in this process.
        CoordinatorConfig config = new()
        {
            Home = consortium.Home,
            Listen = new ListenConfig
            {
                Sites = $"127.0.0.1:{consortium.SitesPort}",
                Enrollment = $"127.0.0.1:{consortium.EnrollmentPort}",
                Admin = $"127.0.0.1:{consortium.AdminPort}",
                Health = $"127.0.0.1:{consortium.HealthPort}",
            },
        };
        await using WebApplication coordinator = CoordinatorHost.Build(config, _ => { });
        await coordinator.StartAsync(limit.Token).ConfigureAwait(false);
        try
        {
            foreach (string site in sites)
            {
                await consortium.EnrollAndStartNodeAsync(new LocalSite(site, data, site) { Policy = policy }, limit.Token).ConfigureAwait(false);
            }

            GrpcSiteTransport transport = coordinator.Services.GetRequiredService<GrpcSiteTransport>();
            using GrpcSiteTransport.JobSession session = transport.BeginJob("redteam-grpc", yaml, [.. sites.Select(s => new SiteId(s))]);
            IReadOnlyDictionary<SiteId, JobReadiness> ready = await session.PrepareAsync(TimeSpan.FromSeconds(60), limit.Token).ConfigureAwait(false);
            SiteId victim = new(sites[0]);
            if (!ready.TryGetValue(victim, out JobReadiness? answer) || !answer.Accepted)
            {
                throw new InvalidOperationException($"The red team's victim node {victim} did not take the job: {answer?.Code} {answer?.Message}");
            }

            ParameterVector model = new(job.ModelFor(answer.FeatureCount).CreateLayout());
            string note = unprotected ? " (a node process has no weakened configuration: with --unprotected these attacks meet the sites as shipped)" : string.Empty;
            string where = $" [over mutual-TLS gRPC to the node process of {victim}]";
            AttackOutcome downgrade = CoordinatorRedTeam.GradeDowngrade("downgrade-grpc", await SendAsync(session, CoordinatorRedTeam.DowngradeTask(job, victim, model), limit.Token).ConfigureAwait(false));
            TrainTask puppetTask = CoordinatorRedTeam.PuppetTask(job, victim, model);
            AttackOutcome puppet = CoordinatorRedTeam.GradePuppetSession("puppet-grpc", puppetTask, await SendAsync(session, puppetTask, limit.Token).ConfigureAwait(false));
            return [downgrade with { Detail = downgrade.Detail + where + note }, puppet with { Detail = puppet.Detail + where + note }];
        }
        finally
        {
            await consortium.StopAsync().ConfigureAwait(false);
            await coordinator.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task<SiteReply> SendAsync(GrpcSiteTransport.JobSession session, SiteTask task, CancellationToken cancellationToken)
    {
        await foreach (SiteReply reply in session.DispatchAsync([task], TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false))
        {
            return reply;
        }

        throw new InvalidOperationException($"The transport returned no reply for the task to {task.Site}.");
    }
}
