using Consortia.Governance.Agreements;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Governance.Reports;
using Consortia.Governance.Tests.Support;
using Consortia.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Governance.Tests.Reports;

/// <summary>
/// A consortium's compliance report from its ledger at the coordinator and its members' ledgers: every job with the
/// coordinator's check, the clauses exercised, ε per member for this consortium's jobs only, and every refusal by whom.
/// </summary>
public sealed class ConsortiumComplianceReportTests : IDisposable
{
    private const string Heart = "heart-consortium";
    private static readonly string Hash = Sha256Hex.OfText("a job file");
    private readonly Support.TempDirectory _dir = new();
    private readonly FakeTimeProvider _time = new(AgreementKit.During) { AutoAdvanceAmount = TimeSpan.FromSeconds(1) };

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Report_ListsJobs_Clauses_EpsilonPerMember_AndEveryRefusal()
    {
        using AgreementKit kit = new AgreementKit(_dir.Path).Sign();
        string consortiumLedger = _dir.File("consortium-heart.db");
        using (EcdsaLedgerSigner key = EcdsaLedgerSigner.Generate())
        using (AuditLedger ledger = AuditLedger.Open(consortiumLedger, "coordinator", LedgerRole.Coordinator, key, _time))
        {
            ledger.Append(Decision("heart-ok", "run-1", accepted: true));
            ledger.Append(Decision("heart-marketing", "run-2", accepted: false));
        }

        string cleveland = SiteLedger("cleveland", (Heart, "run-1", 1.5, null), (Heart, "run-1", 2.5, null), ("other-consortium", "run-9", 7.0, null));
        string hungarian = SiteLedger("hungarian", (Heart, "run-1", 0, AgreementRules.EpsilonLifetime));

        ConsortiumComplianceReport report = ConsortiumComplianceReport.Build(Heart, kit.Status(), consortiumLedger, [cleveland, hungarian], AgreementKit.During);
        string markdown = report.ToMarkdown();

        Assert.True(report.ConsortiumLedger.IsValid);
        Assert.Equal(["run-1", "run-2"], report.Jobs.Select(j => j.RunId));
        Assert.Equal([true, false], report.Jobs.Select(j => j.Accepted));
        Assert.Contains((AgreementRules.Purpose, 2, 1), report.ClausesExercised);
        Assert.Contains((AgreementRules.Validity, 2, 0), report.ClausesExercised);
        // Each job's ε is its last charge (the accountant's total), and only this consortium's jobs count.
        Assert.Equal(2.5, report.EpsilonByMember["cleveland"]);
        Assert.Equal(0, report.EpsilonByMember["hungarian"]);
        Assert.Equal(
            [("run-2", "coordinator", AgreementRules.Purpose), ("run-1", "hungarian", AgreementRules.EpsilonLifetime)],
            report.Refusals.Select(r => (r.RunId, r.By, r.Clause)));
        Assert.Contains("| run-2 | heart-marketing | coordinator | agreement-purpose |", markdown, StringComparison.Ordinal);
        Assert.Contains("Signed by: cleveland, hungarian, switzerland, va", markdown, StringComparison.Ordinal);
    }

    private static PolicyDecisionEvent Decision(string job, string run, bool accepted) =>
        new PolicyDecisionEvent(job, null, accepted, 1, Hash, [
            new RuleResult(AgreementRules.Validity, true, "within its dates"),
            new RuleResult(AgreementRules.Purpose, accepted, accepted ? "allowed" : "purpose 'marketing' is outside the agreement"),
        ]) { RunId = run };

    private string SiteLedger(string site, params (string Consortium, string Run, double Epsilon, string? RefusedBy)[] jobs)
    {
        string path = _dir.File(site + ".db");
        using EcdsaLedgerSigner key = EcdsaLedgerSigner.Generate();
        using AuditLedger ledger = AuditLedger.Open(path, site, LedgerRole.Site, key, _time);
        foreach ((string consortium, string run, double epsilon, string? refused) in jobs)
        {
            ledger.Append(new JobReceivedEvent("job-" + run, Hash, consortium, "alice") { RunId = run });
            if (refused is not null)
            {
                ledger.Append(new PolicyDecisionEvent("job-" + run, null, false, 1, Hash, [new RuleResult(refused, false, "over the cap")]) { RunId = run });
            }
            else
            {
                ledger.Append(new PrivacyChargeEvent("job-" + run, 1, DpMode.SampleLevel, epsilon, 1e-5) { RunId = run });
            }
        }

        return path;
    }
}
