using Consortia.Governance.Tests.Support;
using Consortia.Governance.Verification;

namespace Consortia.Governance.Tests.Verification;

public sealed class CrossCheckTests : IDisposable
{
    private static readonly string[] s_sites = ["cleveland", "budapest", "zurich"];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void CrossCheck_MatchingLedgers_Consistent()
    {
        using LedgerScenario scenario = LedgerScenario.Write(_dir.Path, s_sites, rounds: 3);

        CrossCheckResult result = LedgerVerifier.CrossCheck(scenario.CoordinatorPath, scenario.SitePaths["budapest"]);

        Assert.True(result.Consistent, string.Join("\n", result.Findings));
        Assert.Empty(result.Findings);
        Assert.Equal(3, result.MatchedUpdates);
        Assert.Equal("budapest", result.SiteId);
    }

    [Fact]
    public void CrossCheck_UpdateMissingAtCoordinator_Found()
    {
        using LedgerScenario scenario = LedgerScenario.Write(_dir.Path, s_sites, rounds: 3,
            coordinatorView: (site, round) => site == "zurich" && round == 2 ? null : LedgerScenario.UpdateHash(site, round));

        CrossCheckResult result = LedgerVerifier.CrossCheck(scenario.CoordinatorPath, scenario.SitePaths["zurich"]);

        Assert.False(result.Consistent);
        CrossCheckFinding finding = Assert.Single(result.Findings);
        Assert.Equal(CrossCheckFindingKind.MissingAtCoordinator, finding.Kind);
        Assert.Equal(2, finding.Round);
        Assert.Contains(LedgerScenario.UpdateHash("zurich", 2), finding.Description, StringComparison.Ordinal);
        Assert.True(LedgerVerifier.CrossCheck(scenario.CoordinatorPath, scenario.SitePaths["cleveland"]).Consistent);
    }

    [Fact]
    public void CrossCheck_AlteredHash_FoundAsMismatch()
    {
        string altered = Consortia.Governance.Audit.Sha256Hex.OfText("substituted");
        using LedgerScenario scenario = LedgerScenario.Write(_dir.Path, s_sites, rounds: 3,
            coordinatorView: (site, round) => site == "cleveland" && round == 3 ? altered : LedgerScenario.UpdateHash(site, round));

        CrossCheckResult result = LedgerVerifier.CrossCheck(scenario.CoordinatorPath, scenario.SitePaths["cleveland"]);

        CrossCheckFinding finding = Assert.Single(result.Findings);
        Assert.Equal(CrossCheckFindingKind.HashMismatch, finding.Kind);
        Assert.Equal(3, finding.Round);
        Assert.Contains(altered, finding.Description, StringComparison.Ordinal);
        Assert.Equal(2, result.MatchedUpdates);
    }

    [Fact]
    public void CrossCheck_CoordinatorAttributesAnUpdateTheSiteNeverSent_FoundAsMissingAtSite()
    {
        // The refusing site sent nothing, yet the coordinator's round entry claims an update from it.
        using LedgerScenario scenario = LedgerScenario.Write(_dir.Path, s_sites, rounds: 2, refusingSite: "zurich");
        using LedgerScenario forged = LedgerScenario.Write(Directory.CreateDirectory(_dir.File("forged")).FullName, ["cleveland", "budapest", "zurich"], rounds: 2);

        CrossCheckResult result = LedgerVerifier.CrossCheck(forged.CoordinatorPath, scenario.SitePaths["zurich"]);

        Assert.Equal(2, result.Findings.Count);
        Assert.All(result.Findings, f => Assert.Equal(CrossCheckFindingKind.MissingAtSite, f.Kind));
    }

    [Fact]
    public void CrossCheck_TamperedSiteLedger_ReportsItInvalid()
    {
        using LedgerScenario scenario = LedgerScenario.Write(_dir.Path, s_sites, rounds: 2);
        LedgerTamper.FlipByte(scenario.SitePaths["cleveland"], "ledger_entries", 3, 4, 10, 0x20);

        CrossCheckResult result = LedgerVerifier.CrossCheck(scenario.CoordinatorPath, scenario.SitePaths["cleveland"]);

        Assert.False(result.Consistent);
        Assert.Equal(CrossCheckFindingKind.LedgerInvalid, Assert.Single(result.Findings).Kind);
    }

    [Fact]
    public void CrossCheck_LedgersSwapped_ReportsWrongRole()
    {
        using LedgerScenario scenario = LedgerScenario.Write(_dir.Path, s_sites, rounds: 1);

        CrossCheckResult result = LedgerVerifier.CrossCheck(scenario.SitePaths["cleveland"], scenario.CoordinatorPath);

        Assert.False(result.Consistent);
        Assert.All(result.Findings, f => Assert.Equal(CrossCheckFindingKind.WrongRole, f.Kind));
        Assert.Equal(2, result.Findings.Count);
    }
}
