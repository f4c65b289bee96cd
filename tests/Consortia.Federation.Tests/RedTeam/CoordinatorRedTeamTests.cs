using Consortia.Federation.RedTeam;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.RedTeam;

/// <summary>
/// The malicious coordinator against real site agents on the heart-disease data: every attack stopped by the sites as
/// shipped; against the weakened sites the attacks on secure aggregation recover the victim's update.
/// </summary>
public sealed class CoordinatorRedTeamTests
{
    private static readonly string s_data = RepositoryPaths.Combine("data", "fed-heart-disease");

    [Fact]
    public async Task Protected_EverySiteAttackIsPreventedWithTheRuleThatStoppedIt()
    {
        RedTeamReport report = await CoordinatorRedTeam.RunAsync(s_data, unprotected: false, TestContext.Current.CancellationToken);

        Assert.Equal("protected", report.Mode);
        Assert.Equal(["downgrade", "repeated-round", "evaluation-outside-policy", "public-sampling", "puppet", "threshold", "hostile-index"], report.Attacks.Select(a => a.Name));
        Assert.All(report.Attacks, a => Assert.True(a.Prevented, $"{a.Name}: {a.Detail}"));
        Dictionary<string, string> detail = report.Attacks.ToDictionary(a => a.Name, a => a.Detail);
        Assert.Contains("rule secagg-roster", detail["puppet"], StringComparison.Ordinal);
        Assert.Contains("secagg-aborted): InvalidSignature", detail["puppet"], StringComparison.Ordinal); // puppets under real members' names: no share released
        Assert.Contains("rule secagg-threshold", detail["threshold"], StringComparison.Ordinal);
        Assert.Contains("rule secagg-mode", detail["threshold"], StringComparison.Ordinal); // the semi-honest fallback too
        Assert.Contains("aggregated over the 3 honest sites", detail["hostile-index"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unprotected_PuppetAndThresholdRecoverTheVictimsUpdate()
    {
        RedTeamReport report = await CoordinatorRedTeam.RunAsync(s_data, unprotected: true, TestContext.Current.CancellationToken);

        Dictionary<string, AttackOutcome> attacks = report.Attacks.ToDictionary(a => a.Name);
        Assert.Equal("unprotected", report.Mode);
        foreach (string name in new[] { "downgrade", "repeated-round", "evaluation-outside-policy", "public-sampling", "puppet", "threshold" })
        {
            Assert.False(attacks[name].Prevented, $"{name}: {attacks[name].Detail}");
        }

        Assert.Contains("the victim's update recovered", attacks["puppet"].Detail, StringComparison.Ordinal);
        Assert.Contains("the victim's update recovered", attacks["threshold"].Detail, StringComparison.Ordinal);
        Assert.Contains("SemiHonest session with t = 2 of 4 holders", attacks["threshold"].Detail, StringComparison.Ordinal);

        // No weakened switch for the coordinator's index check: still prevented, and the report says why.
        Assert.True(attacks["hostile-index"].Prevented, attacks["hostile-index"].Detail);
        Assert.Contains("no weakened switch", attacks["hostile-index"].Detail, StringComparison.Ordinal);
    }
}
