using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Cli.Tests.Governance;

public sealed class GovernanceCommandsTests : IClassFixture<GovernanceCliFixture>
{
    private readonly GovernanceCliFixture _fixture;

    public GovernanceCommandsTests(GovernanceCliFixture fixture)
    {
        _fixture = fixture;
    }

    [Fact]
    public void PolicyCheck_CompliantJob_ExitsZeroAndExplainsEveryRule()
    {
        (int code, string output, _) = GovernanceCliFixture.Run("policy", "check", "--policy", _fixture.PolicyPath, _fixture.JobPath);

        Assert.Equal(0, code);
        Assert.Contains("version 2, site cleveland", output, StringComparison.Ordinal);
        foreach (string rule in new[] { "consortium", "owner", "model", "strategy", "secure-aggregation", "min-sites", "dp-required", "dp-epsilon-ceiling", "dp-delta", "dp-budget", "outputs", "columns", "schedule" })
        {
            Assert.Contains($"pass  {rule}", output, StringComparison.Ordinal);
        }

        Assert.Contains("Decision: ACCEPTED", output, StringComparison.Ordinal);
    }

    [Fact]
    public void PolicyCheck_ViolatingJob_ExitsOneNamingTheFailedRules()
    {
        string job = Path.Combine(_fixture.Root, "bad-job-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(job, GovernanceCliFixture.JobYaml
            .Replace("[age, sex, chol, target]", "[age, sex, chol, target, patient_name]", StringComparison.Ordinal)
            .Replace("kind: logistic", "kind: mlp\n  hidden: [8]", StringComparison.Ordinal));

        (int code, string output, _) = GovernanceCliFixture.Run("policy", "check", "--policy", _fixture.PolicyPath, job);

        Assert.Equal(1, code);
        Assert.Contains("FAIL  model", output, StringComparison.Ordinal);
        Assert.Contains("FAIL  columns", output, StringComparison.Ordinal);
        Assert.Contains("patient_name", output, StringComparison.Ordinal);
        Assert.Contains("Decision: REFUSED (2 rule(s) failed: model, columns)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void PolicyCheck_OutsideScheduleWithAt_Refused()
    {
        (int code, string output, _) = GovernanceCliFixture.Run("policy", "check", "--policy", _fixture.PolicyPath, "--at", "2025-01-15T09:00:00Z", _fixture.JobPath);

        Assert.Equal(1, code);
        Assert.Contains("FAIL  schedule", output, StringComparison.Ordinal);
    }

    [Fact]
    public void PolicyCheck_NoPolicyFile_RefusesEverything()
    {
        (int code, string output, _) = GovernanceCliFixture.Run("policy", "check", "--policy", Path.Combine(_fixture.Root, "absent.yaml"), _fixture.JobPath);

        Assert.Equal(1, code);
        Assert.Contains("FAIL  policy", output, StringComparison.Ordinal);
        Assert.Contains("refuses every job", output, StringComparison.Ordinal);
    }

    [Fact]
    public void PolicyCheck_InvalidPolicy_ExitsTwoNamingFileLineAndField()
    {
        string policy = Path.Combine(_fixture.Root, "bad-policy-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(policy, GovernanceCliFixture.PolicyYaml.Replace("min_sites_per_aggregate: 2", "min_sites_per_aggregate: many", StringComparison.Ordinal));

        (int code, _, string error) = GovernanceCliFixture.Run("policy", "check", "--policy", policy, _fixture.JobPath);

        Assert.Equal(2, code);
        Assert.Contains($"{policy}:9:", error, StringComparison.Ordinal);
        Assert.Contains("protections.min_sites_per_aggregate", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditVerify_ValidLedgerWithPublicKey_ExitsZero()
    {
        (int code, string output, _) = GovernanceCliFixture.Run("audit", "verify", "--ledger", _fixture.SiteLedger("cleveland"), "--public-key", _fixture.KeyPem("cleveland"));

        Assert.Equal(0, code);
        Assert.Contains("VALID", output, StringComparison.Ordinal);
        Assert.Contains("entries:   8", output, StringComparison.Ordinal);
        Assert.Contains("checked against the supplied key", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditVerify_WrongPublicKey_ExitsOne()
    {
        (int code, string output, _) = GovernanceCliFixture.Run("audit", "verify", "--ledger", _fixture.SiteLedger("cleveland"), "--public-key", _fixture.KeyPem("budapest"));

        Assert.Equal(1, code);
        Assert.Contains("INVALID", output, StringComparison.Ordinal);
        Assert.Contains("header", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditVerify_TamperedEntry_ExitsOneNamingTheFirstBadEntry()
    {
        string copy = _fixture.CopyLedgers();
        string ledger = Path.Combine(copy, "cleveland.ledger");
        using (SqliteConnection connection = new($"Data Source={ledger};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "DROP TRIGGER ledger_entries_no_update; UPDATE ledger_entries SET payload = replace(payload, '\"size_bytes\":1000', '\"size_bytes\":10') WHERE seq = 4;";
            command.ExecuteNonQuery();
        }

        (int code, string output, _) = GovernanceCliFixture.Run("audit", "verify", "--ledger", ledger);

        Assert.Equal(1, code);
        Assert.Contains($"INVALID: {ledger}: entry 4: the entry hash does not match its contents", output, StringComparison.Ordinal);
        Assert.Contains("3 entries verified before it", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditShow_ListsEveryEntryReadably_AndSaysItVerifies()
    {
        (int code, string output, _) = GovernanceCliFixture.Run("audit", "show", "--ledger", _fixture.SiteLedger("cleveland"));

        Assert.Equal(0, code);
        Assert.Contains("writer:    cleveland (site)", output, StringComparison.Ordinal);
        Assert.Contains("verifies:  valid", output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\s+1  \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ  job-received\s+job ", output);
        Assert.Contains("update-sent", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditShow_Json_CarriesEveryEntryWithItsPayload_AndATamperedLedgerExitsOne()
    {
        (int code, string output, _) = GovernanceCliFixture.Run("audit", "show", "--ledger", _fixture.SiteLedger("cleveland"), "--json");
        Assert.Equal(0, code);
        using (System.Text.Json.JsonDocument json = System.Text.Json.JsonDocument.Parse(output))
        {
            Assert.True(json.RootElement.GetProperty("valid").GetBoolean());
            System.Text.Json.JsonElement[] entries = [.. json.RootElement.GetProperty("entries").EnumerateArray()];
            Assert.Equal(Enumerable.Range(1, entries.Length), entries.Select(e => e.GetProperty("sequence").GetInt32()));
            Assert.All(entries, e => Assert.Equal(System.Text.Json.JsonValueKind.Object, e.GetProperty("event").ValueKind));
        }

        string copy = _fixture.CopyLedgers();
        string ledger = Path.Combine(copy, "cleveland.ledger");
        using (SqliteConnection connection = new($"Data Source={ledger};Pooling=False"))
        {
            connection.Open();
            using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "DROP TRIGGER ledger_entries_no_update; UPDATE ledger_entries SET payload = replace(payload, '\"size_bytes\":1000', '\"size_bytes\":10') WHERE seq = 4;";
            command.ExecuteNonQuery();
        }

        (int tampered, string shown, _) = GovernanceCliFixture.Run("audit", "show", "--ledger", ledger);
        Assert.Equal(1, tampered);
        Assert.Contains("verifies:  INVALID at entry 4", shown, StringComparison.Ordinal);

        (int missing, _, string error) = GovernanceCliFixture.Run("audit", "show", "--ledger", Path.Combine(copy, "nothing.ledger"));
        Assert.Equal(2, missing);
        Assert.Contains("error:", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditVerify_BothKeyOptions_ExitsTwo()
    {
        (int code, _, string error) = GovernanceCliFixture.Run("audit", "verify", "--ledger", _fixture.SiteLedger("cleveland"),
            "--public-key", _fixture.KeyPem("cleveland"), "--certificate", _fixture.KeyPem("cleveland"));

        Assert.Equal(2, code);
        Assert.Contains("not two of them", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditVerify_UnreadableKeyFile_ExitsTwo()
    {
        (int code, _, string error) = GovernanceCliFixture.Run("audit", "verify", "--ledger", _fixture.SiteLedger("cleveland"), "--certificate", _fixture.JobPath);

        Assert.Equal(2, code);
        Assert.Contains("--certificate", error, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditCrossCheck_MatchingLedgers_ExitsZero()
    {
        (int code, string output, _) = GovernanceCliFixture.Run("audit", "cross-check", "--coordinator-ledger", _fixture.CoordinatorLedger, "--site-ledger", _fixture.SiteLedger("budapest"));

        Assert.Equal(0, code);
        Assert.Contains("CONSISTENT: site 'budapest': 2 update hash(es)", output, StringComparison.Ordinal);
    }

    [Fact]
    public void AuditCrossCheck_SiteSentAnUpdateTheCoordinatorNeverRecorded_ExitsOne()
    {
        string copy = _fixture.CopyLedgers();
        string site = Path.Combine(copy, "budapest.ledger");
        using (EcdsaLedgerSigner intruder = EcdsaLedgerSigner.Generate())
        {
            // A valid ledger for the same site id that records round 1, omits round 2 and adds a round-3 update the coordinator never saw.
            File.Delete(site);
            using AuditLedger ledger = AuditLedger.Open(site, "budapest", LedgerRole.Site, intruder, new FakeTimeProvider(GovernanceCliFixture.Now));
            ledger.Append(new UpdateSentEvent("heart-fedavg", 1, GovernanceCliFixture.UpdateHash("budapest", 1), 1_000, UpdateKind.Masked));
            ledger.Append(new UpdateSentEvent("heart-fedavg", 3, GovernanceCliFixture.UpdateHash("budapest", 3), 1_000, UpdateKind.Masked));
        }

        (int code, string output, _) = GovernanceCliFixture.Run("audit", "cross-check", "--coordinator-ledger", Path.Combine(copy, "coordinator.ledger"), "--site-ledger", site);

        Assert.Equal(1, code);
        Assert.Contains("MissingAtCoordinator", output, StringComparison.Ordinal);
        Assert.Contains("MissingAtSite", output, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportCompliance_HtmlOut_WritesReportWithEverySection()
    {
        string output = Path.Combine(_fixture.Root, "report-" + Guid.NewGuid().ToString("N") + ".html");

        (int code, string stdout, string error) = GovernanceCliFixture.Run("report", "compliance", "--ledgers", _fixture.LedgerDirectory, "--job-file", _fixture.JobPath, "--out", output);

        Assert.True(code == 0, error);
        Assert.Contains("written to", stdout, StringComparison.Ordinal);
        string html = File.ReadAllText(output);
        foreach (string section in Consortia.Governance.Reports.ComplianceReportRenderer.Sections)
        {
            Assert.Contains($"<h2>{section}</h2>", html, StringComparison.Ordinal);
        }

        Assert.Contains("<td>budapest</td>", html, StringComparison.Ordinal);
        Assert.Contains("Generated 2025-01-15 20:00:00 UTC", html, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportCompliance_NoOut_PrintsMarkdown()
    {
        (int code, string stdout, _) = GovernanceCliFixture.Run("report", "compliance", "--ledgers", _fixture.LedgerDirectory, "--job-file", _fixture.JobPath);

        Assert.Equal(0, code);
        Assert.StartsWith("# Compliance report: job heart-fedavg", stdout, StringComparison.Ordinal);
        Assert.Contains("## What left each site", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportCompliance_ManifestChanged_ExitsOneAndSaysSo()
    {
        string job = Path.Combine(_fixture.Root, "edited-" + Guid.NewGuid().ToString("N") + ".yaml");
        File.WriteAllText(job, GovernanceCliFixture.JobYaml.Replace("epsilon: 2.0", "epsilon: 3.0", StringComparison.Ordinal));

        (int code, string stdout, string error) = GovernanceCliFixture.Run("report", "compliance", "--ledgers", _fixture.LedgerDirectory, "--job-file", job);

        Assert.Equal(1, code);
        Assert.Contains("| Manifest matches the hash recorded in the ledgers | NO |", stdout, StringComparison.Ordinal);
        Assert.Contains("warning", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportCompliance_BadOutExtension_ExitsTwo()
    {
        (int code, _, string error) = GovernanceCliFixture.Run("report", "compliance", "--ledgers", _fixture.LedgerDirectory, "--job-file", _fixture.JobPath, "--out", "report.pdf");

        Assert.Equal(2, code);
        Assert.Contains(".html or .md", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReportCompliance_DirectoryWithoutCoordinator_ExitsTwo()
    {
        string copy = _fixture.CopyLedgers();
        File.Delete(Path.Combine(copy, "coordinator.ledger"));

        (int code, _, string error) = GovernanceCliFixture.Run("report", "compliance", "--ledgers", copy, "--job-file", _fixture.JobPath);

        Assert.Equal(2, code);
        Assert.Contains("exactly one coordinator ledger", error, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingRequiredOption_ReportedByTheParser()
    {
        (int code, _, string error) = GovernanceCliFixture.Run("audit", "verify");

        Assert.NotEqual(0, code);
        Assert.Contains("--ledger", error, StringComparison.Ordinal);
    }
}
