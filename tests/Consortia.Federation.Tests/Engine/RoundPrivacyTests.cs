using System.Text.RegularExpressions;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Simulation;
using Consortia.Federation.Sites;
using Consortia.Privacy.Budget;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Engine;

/// <summary>
/// Every round records the privacy accounting its contributors sent with their updates (<see cref="RoundReport.Privacy"/>),
/// on every training path: plain and secure DP-SGD, client-level DP with central or distributed noise.
/// </summary>
public sealed partial class RoundPrivacyTests
{
    /// <summary>The heart example <paramref name="file"/> shortened to <paramref name="rounds"/> rounds of 10 local steps (the DP calibration follows).</summary>
    private static JobDefinition Heart(string file, int rounds, Func<string, string>? change = null)
    {
        string path = RepositoryPaths.Combine("examples", "heart-disease", file);
        string text = LocalSteps().Replace(Rounds().Replace(File.ReadAllText(path), $"  rounds: {rounds}", 1), "  local_steps: 10", 1);
        return JobFile.Parse(change?.Invoke(text) ?? text, path) with { Baselines = null };
    }

    private static JobDefinition Variant(string name)
    {
        SecureAggregationSettings secure = new() { ClipRange = 10 };
        JobDefinition sgd = Heart("dp-sgd.yaml", 3);
        JobDefinition client = Heart("dp-fedavg-client.yaml", 2);
        return name switch
        {
            "dp-sgd" => sgd,
            "dp-sgd-secagg" => sgd with { Engine = sgd.Engine with { SecureAggregation = secure } },
            "client-central" => client,
            "client-distributed" => client with
            {
                Engine = client.Engine with { SecureAggregation = secure },
                ClientDp = client.ClientDp! with { SecureAggregation = secure, TrustedCoordinator = false },
            },
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, "no such variant"),
        };
    }

    [Theory]
    [InlineData("dp-sgd", "sampled_gaussian")]
    [InlineData("dp-sgd-secagg", "sampled_gaussian")]
    [InlineData("client-central", "sampled_gaussian")]
    [InlineData("client-distributed", "distributed_discrete_gaussian")]
    public async Task Simulation_EveryRound_RecordsEachContributorsOwnAccounting_EndingAtTheSitesFinalFigures(string variant, string mechanism)
    {
        JobDefinition job = Variant(variant);
        using TempDirectory state = new(); // keeps the sites' budget ledgers (DIR/budgets/SITE.db) to compare with

        SimulationResult result = await FederatedSimulation.RunAsync(job, null, state.Path, TestContext.Current.CancellationToken);

        IReadOnlyList<RoundReport> rounds = result.Federated.Rounds;
        Assert.Equal(job.Engine.Rounds, rounds.Count);
        Assert.All(rounds, r => Assert.True(r.Aggregated, r.AggregationFailure + string.Join("; ", r.Failures) + string.Join("; ", r.Refusals)));
        // One report per contributor, in the round's canonical order, each the site's own.
        Assert.All(rounds, r => Assert.Equal(r.Contributors, r.Privacy.Select(p => p.Site)));
        Assert.All(rounds.SelectMany(r => r.Privacy), p =>
        {
            Assert.Equal(mechanism, p.Mechanism);
            Assert.Null(p.ProblemFor(p.Site));
            Assert.NotNull(p.LifetimeBudget); // the example's site policy sets the lifetime budget
            Assert.InRange(p.LifetimeEpsilon!.Value, double.Epsilon, p.LifetimeBudget!.Value);
        });

        // The job's cost grows round by round at every site...
        foreach (IGrouping<SiteId, SitePrivacyReport> site in rounds.SelectMany(r => r.Privacy).GroupBy(p => p.Site))
        {
            SitePrivacyReport[] history = [.. site];
            Assert.Equal(rounds.Count, history.Length);
            for (int i = 1; i < history.Length; i++)
            {
                Assert.True(history[i].Steps > history[i - 1].Steps, $"{site.Key}: steps did not grow in round {i + 1}");
                Assert.True(history[i].Epsilon > history[i - 1].Epsilon, $"{site.Key}: ε did not grow in round {i + 1}");
                Assert.True(history[i].LifetimeEpsilon > history[i - 1].LifetimeEpsilon, $"{site.Key}: lifetime ε did not grow in round {i + 1}");
            }
        }

        // ...and the last round's figures are exactly each site's own final account (SiteAgent.Privacy, from its ledger).
        Assert.Equal(4, result.Privacy.Count);
        Assert.Equal(result.Privacy.OrderBy(p => p.Site.Value, StringComparer.Ordinal), rounds[^1].Privacy.OrderBy(p => p.Site.Value, StringComparer.Ordinal));
        Assert.Equal(rounds[^1].Privacy, SitePrivacyReport.LatestOf(rounds)); // every site took part in every round
        foreach (SitePrivacyReport last in rounds[^1].Privacy)
        {
            // The lifetime figures are the site's budget ledger's own.
            using PrivacyBudgetLedger ledger = PrivacyBudgetLedger.Open(Path.Combine(state.Path, "budgets", last.Site.Value + ".db"), TimeProvider.System);
            BudgetSpent spent = ledger.GetSpent();
            Assert.Equal(spent.Epsilon, last.LifetimeEpsilon);
            Assert.Equal(spent.EpsilonLimit, last.LifetimeBudget);
        }
    }

    [Fact]
    public async Task Simulation_FedBuffUnderSecureAggregation_RecordsTheReportsSentWithTheFlush()
    {
        // FedBuff's own reply path: sites train and hold (TrainingPrepared), then join the flush's session (TrainingPrepared again).
        JobDefinition job = Heart("dp-sgd.yaml", 4, text => text.Replace("privacy:\n", "privacy:\n  secure_aggregation:\n    clip_range: 10\n", StringComparison.Ordinal) + "\nscheduling:\n  buffer: 3\n");
        Assert.Equal(3, job.Scheduling!.Buffer);

        SimulationResult result = await FederatedSimulation.RunAsync(job, null, null, TestContext.Current.CancellationToken);

        IReadOnlyList<RoundReport> rounds = result.Federated.Rounds;
        Assert.All(rounds, r => Assert.True(r.Aggregated, r.AggregationFailure + string.Join("; ", r.Failures) + string.Join("; ", r.Refusals)));
        Assert.All(rounds, r => Assert.Equal(3, r.Contributors.Count));
        Assert.All(rounds, r => Assert.Equal(r.Contributors, r.Privacy.Select(p => p.Site)));
        // A site's reports never run ahead of its own final account (a site still holding an update at the end charged one more round).
        Dictionary<SiteId, SitePrivacyReport> final = result.Privacy.ToDictionary(p => p.Site);
        Assert.All(rounds.SelectMany(r => r.Privacy), p => Assert.InRange(p.Steps, 1, final[p.Site].Steps));
        IReadOnlyList<SitePrivacyReport> latest = SitePrivacyReport.LatestOf(rounds);
        Assert.All(latest, p => Assert.True(p == final[p.Site] || p.Steps < final[p.Site].Steps, $"{p.Site}: its latest recorded report is neither its final account nor an earlier one"));
        Assert.Contains(latest, p => p == final[p.Site]);
    }

    [Fact]
    public async Task Simulation_WithoutDp_RecordsNoPrivacy()
    {
        JobDefinition job = Heart("fedavg.yaml", 2);

        SimulationResult result = await FederatedSimulation.RunAsync(job, null, null, TestContext.Current.CancellationToken);

        Assert.Equal(2, result.Federated.Rounds.Count);
        Assert.All(result.Federated.Rounds, r => Assert.NotEmpty(r.Contributors));
        Assert.All(result.Federated.Rounds, r => Assert.Empty(r.Privacy));
        Assert.Empty(result.Privacy);
    }

    [GeneratedRegex(@"(?m)^  rounds: \d+")]
    private static partial Regex Rounds();

    [GeneratedRegex(@"(?m)^  local_steps: \d+")]
    private static partial Regex LocalSteps();
}
