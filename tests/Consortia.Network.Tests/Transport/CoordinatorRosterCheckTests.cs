using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Governance.Audit;
using Consortia.Governance.Roster;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Network.Tests.Nodes;
using Consortia.TestKit;

namespace Consortia.Network.Tests.Transport;

/// <summary>
/// The coordinator checks secure-aggregation signatures against its own roster, over gRPC between real site agents: an
/// advertisement whose signature does not verify against it is dropped at the coordinator and logged naming the site,
/// before any other site sees it.
/// </summary>
[Trait("Category", "Slow")]
public sealed class CoordinatorRosterCheckTests
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);

    [Fact]
    public async Task Advertisement_NotSignedByTheRostersKey_IsDroppedAtTheCoordinator_AndLoggedNamingTheSite()
    {
        FederatedDataset data = Some.ClassificationFederation(4);
        JobDefinition job = TestSites.Job(s_spec, 8, [MetricKind.Accuracy], data.Sites[0].Train.FeatureNames) with
        {
            Engine = new RoundEngineOptions { SecureAggregation = new SecureAggregationSettings { ClipRange = 1000 } },
        };
        using SimulatedConsortium consortium = SimulatedConsortium.Create(job.Consortium, data.Sites.Select(s => s.Name));
        string impostor = data.Sites[3].Name;
        // The coordinator's roster lists another key for the last site (what it would hold if that site's key were
        // swapped): that site's genuine signatures do not verify against it.
        using EcdsaLedgerSigner other = EcdsaLedgerSigner.Generate();
        ConsortiumRoster coordinatorRoster = consortium.Roster.With(ConsortiumRoster.Join(job.Consortium, impostor, other));
        SiteAgent[] agents = [.. data.Sites.Select((s, i) => new SiteBuilder
        {
            Job = job,
            Site = new SiteId(s.Name),
            Train = s.Train,
            Test = s.Test,
            Task = data.Task,
            Randomness = SiteRandomness.Seeded(new RandomSource(5).Derive((ulong)i)),
            Time = TimeProvider.System,
            Policy = TestSites.Accepting(job),
            SigningKey = consortium.KeyOf(s.Name),
            Roster = consortium.Roster,
        }.Build())];
        try
        {
            await using LoopbackFederation federation = await LoopbackFederation.StartAsync([.. agents.Select(a => a.Site)]);
            foreach (SiteAgent agent in agents)
            {
                federation.StartNode(new AgentHandler(agent));
            }

            RecordingLogger log = new();
            FedAvgStrategy strategy = new(new FedAvgOptions { Training = job.Training });
            GlobalModel initial = new(s_spec, new ParameterVector(s_spec.CreateLayout()), new RoundNumber(0));
            RoundEngine engine = new(federation.Transport, strategy, job.Engine with { Roster = coordinatorRoster }, TimeProvider.System)
            {
                JobSha256 = job.ContentSha256,
                Log = log,
            };

            (_, _, RoundReport report) = await engine.RunRoundAsync(new RoundNumber(1), initial, strategy.InitialState(initial), new RandomSource(9), evaluate: false, TestContext.Current.CancellationToken);

            Assert.Equal(1, log.Count($"dropped the secure-aggregation message of site {impostor} (InvalidSignature)"));
            Assert.Equal(0, log.Count("dropped the secure-aggregation message of site " + data.Sites[0].Name));
            Assert.DoesNotContain(new SiteId(impostor), report.Contributors);
        }
        finally
        {
            foreach (SiteAgent agent in agents)
            {
                agent.Dispose();
            }
        }
    }
}
