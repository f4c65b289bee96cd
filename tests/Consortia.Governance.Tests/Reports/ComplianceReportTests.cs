using Consortia.Governance.Audit;
using Consortia.Governance.Reports;
using Consortia.Governance.Tests.Support;

namespace Consortia.Governance.Tests.Reports;

public sealed class ComplianceReportTests : IDisposable
{
    private static readonly DateTimeOffset s_generated = new(2025, 2, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static ComplianceReport Build(LedgerScenario scenario, string manifest = Some.JobYaml) =>
        ComplianceReportBuilder.Build(new ComplianceReportInput(manifest, "job.yaml", Some.Job(), scenario.CoordinatorPath, scenario.SitePaths.Values.Order().ToList(), s_generated)
        {
            Keys = scenario.Keys,
        });

    [Fact]
    public void Build_ConsistentJob_CollectsParticipantsDecisionsRoundsAndOutflows()
    {
        using LedgerScenario scenario = LedgerScenario.Write(_dir.Path, ["cleveland", "budapest", "zurich", "basel"], rounds: 3, refusingSite: "zurich");

        ComplianceReport report = Build(scenario);

        Assert.Equal(LedgerScenario.JobId, report.JobId);
        Assert.Equal(Sha256Hex.OfText(Some.JobYaml), report.ManifestSha256);
        Assert.True(report.AllLedgersValid);
        Assert.True(report.CrossChecksConsistent);
        Assert.True(report.ManifestMatches);
        Assert.Equal(["basel", "budapest", "cleveland", "zurich"], report.Sites.Select(s => s.SiteId));
        Assert.Equal(3, report.Rounds.Count);
        Assert.All(report.Rounds, r => Assert.Equal(["cleveland", "budapest", "basel"], r.Sites));
        SiteCompliance zurich = report.Sites.Single(s => s.SiteId == "zurich");
        Assert.False(zurich.JobDecision!.Accepted);
        Assert.Empty(zurich.UpdatesSent);
        SiteCompliance cleveland = report.Sites.Single(s => s.SiteId == "cleveland");
        Assert.Equal(3, cleveland.UpdatesSent.Count);
        Assert.Equal(3, cleveland.RoundsAccepted);
        Assert.Equal(1.2, cleveland.LastCharge!.JobEpsilon, 10);
        Assert.True(cleveland.Ledger!.KeySuppliedExternally);
        Assert.Single(report.ModelsReleased);
    }

    [Fact]
    public void RenderMarkdown_ContainsEveryRequiredSection()
    {
        using LedgerScenario scenario = LedgerScenario.Write(_dir.Path, ["cleveland", "budapest", "zurich", "basel"], rounds: 2, refusingSite: "zurich");
        ComplianceReport report = Build(scenario);
        LedgerContents cleveland = LedgerReader.Read(scenario.SitePaths["cleveland"]);

        string md = ComplianceReportRenderer.RenderMarkdown(report);

        Assert.StartsWith("# Compliance report: job heart-fedavg", md, StringComparison.Ordinal);
        foreach (string section in ComplianceReportRenderer.Sections)
        {
            Assert.Contains($"\n## {section}\n", md, StringComparison.Ordinal);
        }

        Assert.Contains(report.ManifestSha256, md, StringComparison.Ordinal);
        Assert.Contains("name: heart-fedavg", md, StringComparison.Ordinal);
        Assert.Contains("REFUSED (columns)", md, StringComparison.Ordinal);
        Assert.Contains("under policy version 3", md, StringComparison.Ordinal);
        Assert.Contains("client-level, target ε = 2", md, StringComparison.Ordinal);
        Assert.Contains("| 2 | 3 | cleveland, budapest, basel |", md, StringComparison.Ordinal);
        Assert.Contains(cleveland.HeadHash, md, StringComparison.Ordinal);
        Assert.Contains(LedgerScenario.UpdateHash("budapest", 2), md, StringComparison.Ordinal);
        Assert.Contains("2 model update(s) left this site (2 masked by secure aggregation, 0 plain), 8,192 bytes", md, StringComparison.Ordinal);
        Assert.Contains("| cleveland | client-level | 0.8 | 1E-06 | 2 | 1.8 | 10 | 8.2 |", md, StringComparison.Ordinal);
        Assert.Contains("budapest: consistent; 2 update hash(es)", md, StringComparison.Ordinal);
    }

    [Fact]
    public void RenderHtml_SameSectionsAndEncodesText()
    {
        using LedgerScenario scenario = LedgerScenario.Write(_dir.Path, ["cleveland", "budapest", "zurich"], rounds: 1);
        string manifest = Some.JobYaml.Replace("seed: 42", "seed: 42 # <script>alert(1)</script>", StringComparison.Ordinal);
        ComplianceReport report = Build(scenario, manifest);

        string html = ComplianceReportRenderer.RenderHtml(report);

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        foreach (string section in ComplianceReportRenderer.Sections)
        {
            Assert.Contains($"<h2>{section}</h2>", html, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal);
        Assert.False(report.ManifestMatches, "the manifest was changed after the ledgers recorded its hash");
        Assert.Contains("<td>Manifest matches the hash recorded in the ledgers</td><td>NO</td>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_TamperedSiteLedger_ReportedInvalidAndContentsNotUsed()
    {
        using LedgerScenario scenario = LedgerScenario.Write(_dir.Path, ["cleveland", "budapest", "zurich"], rounds: 2);
        LedgerTamper.FlipByte(scenario.SitePaths["budapest"], "ledger_entries", 5, 4, 20, 0x08);

        ComplianceReport report = Build(scenario);
        string md = ComplianceReportRenderer.RenderMarkdown(report);

        Assert.False(report.AllLedgersValid);
        SiteCompliance budapest = report.Sites.Single(s => s.SiteId == "budapest");
        Assert.Empty(budapest.UpdatesSent);
        Assert.Contains("FAILED verification", md, StringComparison.Ordinal);
        Assert.Contains("INVALID: entry 6:", md, StringComparison.Ordinal);
        Assert.Contains("The ledger failed verification: what left this site cannot be stated.", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_SiteInRoundsWithoutLedger_ListedAsNotSupplied()
    {
        using LedgerScenario scenario = LedgerScenario.Write(_dir.Path, ["cleveland", "budapest", "zurich"], rounds: 1);

        ComplianceReport report = ComplianceReportBuilder.Build(new ComplianceReportInput(Some.JobYaml, "job.yaml", Some.Job(), scenario.CoordinatorPath, [scenario.SitePaths["cleveland"]], s_generated));
        string md = ComplianceReportRenderer.RenderMarkdown(report);

        Assert.Equal(["budapest", "cleveland", "zurich"], report.Sites.Select(s => s.SiteId));
        Assert.Null(report.Sites.Single(s => s.SiteId == "zurich").Ledger);
        Assert.Contains("| zurich | not supplied |", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Build_CoordinatorOmitsAnUpdate_CrossCheckFindingInReport()
    {
        using LedgerScenario scenario = LedgerScenario.Write(_dir.Path, ["cleveland", "budapest", "zurich"], rounds: 2,
            coordinatorView: (site, round) => site == "budapest" && round == 1 ? null : LedgerScenario.UpdateHash(site, round));

        ComplianceReport report = Build(scenario);
        string md = ComplianceReportRenderer.RenderMarkdown(report);

        Assert.False(report.CrossChecksConsistent);
        Assert.Contains("budapest: 1 finding(s)", md, StringComparison.Ordinal);
    }
}
