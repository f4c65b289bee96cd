using System.Text.Json;
using System.Text.RegularExpressions;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Governance;

/// <summary>
/// <c>consortia policy check</c> and the sites of a simulation read a job the same way, so they reach the same
/// verdict. The cases are jobs the former policy-check reader read differently from the engine.
/// </summary>
public sealed partial class PolicyCheckAgreesWithSitesTests
{
    public static TheoryData<string, string, string> Jobs => new()
    {
        // No strategy section: the engine runs fedavg; the former reader saw an empty strategy and refused.
        { "strategy-defaulted", "strategy:\n  kind: fedavg          # weighted by each site's number of training examples\n", string.Empty },

        // Client-level DP given by its noise multiplier: the engine states no ε ceiling it can promise, so the
        // site's ε ceiling refuses it; the former reader rejected the file for lacking privacy.dp.epsilon.
        {
            "dp-by-noise-multiplier",
            "privacy:\n",
            "privacy:\n  dp:\n    mode: client-level\n    noise_multiplier: 1.0\n    delta: 1.0e-5\n    clip: 0.5\n"
        },

        // A consortium the sites' policy does not list: both refuse.
        { "other-consortium", "consortium: heart-consortium", "consortium: elsewhere" },
    };

    [Theory]
    [MemberData(nameof(Jobs))]
    public async Task PolicyCheck_AndSimulatedSites_ReachTheSameVerdict(string name, string from, string to)
    {
        using TempDirectory temp = new();
        string text = (await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "heart-disease", "fedavg-policed.yaml"), TestContext.Current.CancellationToken))
            .Replace("path: ../../data/fed-heart-disease", "path: " + RepositoryPaths.Combine("data", "fed-heart-disease"), StringComparison.Ordinal)
            .Replace("default: ../policies/heart-consortium-site.yaml", "default: " + RepositoryPaths.Combine("examples", "policies", "heart-consortium-site.yaml"), StringComparison.Ordinal)
            .Replace("rounds: 15", "rounds: 1", StringComparison.Ordinal);
        string changed = text.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(text, changed); // the case edits the example
        string job = temp.File(name + ".yaml");
        await File.WriteAllTextAsync(job, changed, TestContext.Current.CancellationToken);

        (int check, string verdict, string checkError) = await CliRunner.RunAsync(
            "policy", "check", "--policy", RepositoryPaths.Combine("examples", "policies", "heart-consortium-site.yaml"), job);
        (int simulate, string output, string simulateError) = await CliRunner.RunAsync("simulate", job, "--json");

        Assert.True(check is 0 or 1, checkError);
        Assert.True(simulate == 0, simulateError);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement round = json.RootElement.GetProperty("rounds")[0];
        string[] outcomes = round.TryGetProperty("problems", out JsonElement problems)
            ? [.. problems.EnumerateArray().Select(p => p.GetProperty("outcome").GetString() ?? string.Empty)]
            : [];
        if (check == 0)
        {
            Assert.Contains("Decision: ACCEPTED", verdict, StringComparison.Ordinal);
            Assert.True(round.GetProperty("aggregated").GetBoolean(), string.Join("; ", outcomes));
            Assert.Empty(outcomes);
        }
        else
        {
            string firstFailed = FailedRules().Match(verdict).Groups["rules"].Value.Split(", ")[0];
            Assert.False(round.GetProperty("aggregated").GetBoolean());
            Assert.Equal(4, outcomes.Length);
            Assert.All(outcomes, o => Assert.StartsWith($"refused ({firstFailed})", o, StringComparison.Ordinal));
        }
    }

    [GeneratedRegex(@"Decision: REFUSED \(\d+ rule\(s\) failed: (?<rules>[^)]+)\)")]
    private static partial Regex FailedRules();
}
