using System.Text.Json;
using System.Text.RegularExpressions;
using Consortia.EndToEnd.Tests.Support;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Sites;
using Consortia.Privacy.Budget;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests;

/// <summary>
/// A DP job on a real coordinator and four nodes (separate processes, mutual TLS, secure aggregation as the hospitals'
/// policies require): every stored round carries each contributing node's own privacy accounting, which matches the
/// node's budget ledger; <c>job status</c> and <c>report training</c> show it.
/// </summary>
[Collection(EndToEndGroup.Name)]
[Trait("Category", "Slow")]
public sealed partial class PrivacyReportDeploymentTests
{
    private static readonly string[] s_sites = ["cleveland", "hungarian", "switzerland", "va"];

    /// <summary>The policed secure-aggregation example with DP-SGD added, two short rounds; paths made absolute.</summary>
    private static string DpJob()
    {
        string example = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "examples", "heart-disease", "fedavg-policed.yaml"));
        string text = Rounds().Replace(example, "  rounds: 2", 1);
        text = LocalSteps().Replace(text, "  local_steps: 10", 1);
        text = text
            .Replace("name: heart-disease-policed", "name: heart-disease-dp-deployed", StringComparison.Ordinal)
            .Replace("  path: ../../data/fed-heart-disease", "  path: " + Path.Combine(RepositoryPaths.Root, "data", "fed-heart-disease"), StringComparison.Ordinal)
            .Replace("  default: ../policies/", "  default: " + Path.Combine(RepositoryPaths.Root, "examples", "policies") + "/", StringComparison.Ordinal)
            .Replace("privacy:\n", "privacy:\n  dp:\n    mode: sample-level\n    epsilon: 4\n    delta: 1.0e-5\n    clip: 1.0\n", StringComparison.Ordinal);
        Assert.Contains("mode: sample-level", text, StringComparison.Ordinal);
        return text;
    }

    [Fact]
    public async Task DpJob_StoredRoundsCarryEachNodesOwnAccounting_MatchingItsBudgetLedger()
    {
        await using Consortium consortium = await Consortium.ProvisionAsync();
        await consortium.StartCoordinatorAsync();
        foreach (string site in s_sites)
        {
            await consortium.EnrollAndStartNodeAsync(site);
        }

        string jobFile = Path.Combine(consortium.Root, "dp-job.yaml");
        await File.WriteAllTextAsync(jobFile, DpJob(), TestContext.Current.CancellationToken);
        string jobId = await consortium.SubmitAsync(jobFile);
        using JsonDocument status = await consortium.WaitForJobAsync(jobId, TimeSpan.FromMinutes(5));

        // job status --json: the last round lists ε per site.
        Assert.Equal("completed", status.RootElement.GetProperty("status").GetString());
        JsonElement lastRound = status.RootElement.GetProperty("rounds").EnumerateArray().Last();
        Dictionary<string, JsonElement> shown = lastRound.GetProperty("privacy").EnumerateArray().ToDictionary(p => p.GetProperty("site").GetString()!, StringComparer.Ordinal);
        Assert.Equal(s_sites, shown.Keys.Order(StringComparer.Ordinal));

        // report training: the deployed report gets its privacy accounting (the per-site ε chart, not the "held at the sites" note).
        string store = Path.Combine(consortium.Home, "coordinator.db");
        string html = Path.Combine(consortium.Root, "report.html");
        (int reportCode, string reportOutput) = await consortium.RunAsync(["report", "training", "--job", jobId, "--store", store, "--out", html]);
        Assert.True(reportCode == 0, reportOutput);
        string page = await File.ReadAllTextAsync(html, TestContext.Current.CancellationToken);
        Assert.Contains("ε spent per site", page, StringComparison.Ordinal);
        Assert.DoesNotContain("the coordinator does not hold it", page, StringComparison.Ordinal);

        await consortium.StopAsync(); // every write on disk before the store and ledgers are read
        RoundReport[] rounds;
        using (SqliteJobStore jobs = SqliteJobStore.Open(new SqliteJobStoreOptions { Path = store }, TimeProvider.System))
        {
            rounds = [.. jobs.GetRounds(jobId).Select(r => r.Report)];
        }

        Assert.Equal(2, rounds.Length);
        Assert.All(rounds, r => Assert.True(r.Aggregated, r.AggregationFailure + string.Join("; ", r.Failures) + string.Join("; ", r.Refusals)));
        Assert.All(rounds, r => Assert.Equal(r.Contributors, r.Privacy.Select(p => p.Site)));
        Assert.All(rounds, r => Assert.Equal(s_sites, r.Privacy.Select(p => p.Site.Value).Order(StringComparer.Ordinal)));
        foreach (string site in s_sites)
        {
            SitePrivacyReport first = rounds[0].Privacy.Single(p => p.Site.Value == site);
            SitePrivacyReport last = rounds[1].Privacy.Single(p => p.Site.Value == site);
            Assert.Equal("sampled_gaussian", last.Mechanism);
            Assert.True(last.Steps > first.Steps && last.Epsilon > first.Epsilon, $"{site}: the job's cost did not grow from round 1 to 2");

            // The node's own budget ledger (its state folder) holds exactly the lifetime figures it reported last.
            string ledgerFile = Assert.Single(Directory.GetFiles(Path.Combine(consortium.Root, "sites", site), "privacy-budget.db", SearchOption.AllDirectories));
            using PrivacyBudgetLedger ledger = PrivacyBudgetLedger.Open(ledgerFile, TimeProvider.System);
            BudgetSpent spent = ledger.GetSpent();
            Assert.Equal(spent.Epsilon, last.LifetimeEpsilon);
            Assert.Equal(spent.EpsilonLimit, last.LifetimeBudget);
            Assert.Equal(20.0, last.LifetimeBudget); // the site's policy's lifetime_epsilon_budget, not anything in the job
            Assert.True(first.LifetimeEpsilon < last.LifetimeEpsilon);

            // What job status showed is what the store holds.
            Assert.Equal(last.Epsilon, shown[site].GetProperty("epsilon").GetDouble());
            Assert.Equal(spent.Epsilon, shown[site].GetProperty("lifetimeEpsilon").GetDouble());
        }
    }

    [GeneratedRegex(@"(?m)^  rounds: \d+")]
    private static partial Regex Rounds();

    [GeneratedRegex(@"(?m)^  local_steps: \d+")]
    private static partial Regex LocalSteps();
}
