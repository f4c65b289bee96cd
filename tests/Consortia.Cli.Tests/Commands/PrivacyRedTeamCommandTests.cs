using System.Text.Json;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Commands;

/// <summary>
/// <c>consortia redteam privacy</c> on the shipped red-team job: without DP the attacks succeed, at ε = 1 membership
/// inference is no better than a coin (issue 15's "done" thresholds).
/// </summary>
public sealed class PrivacyRedTeamCommandTests
{
    private static readonly string s_job = RepositoryPaths.Combine("examples", "heart-disease", "redteam.yaml");

    [Fact]
    [Trait("Category", "Slow")] // two federated trainings of an MLP, 8 shadow models and four gradient inversions (~40 s of CPU)
    public async Task HeartRedTeamJob_EpsilonOneAndInfinity_MeetTheThresholds()
    {
        using TempDirectory output = new();

        (int exit, string json, string error) = await CliRunner.RunAsync("redteam", "privacy", s_job, "--epsilons", "1,inf", "--json", "--out", output.Path);

        Assert.True(exit == 0, error);
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement[] rows = [.. document.RootElement.GetProperty("rows").EnumerateArray()];
        Assert.Equal(2, rows.Length);
        JsonElement dp = rows[0], plain = rows[1];
        Assert.Equal(1.0, dp.GetProperty("epsilon").GetDouble());
        Assert.Equal("inf", plain.GetProperty("epsilon").GetString());
        Assert.True(plain.GetProperty("mia_auc").GetDouble() >= 0.60, $"MIA AUC without DP {plain.GetProperty("mia_auc")}");
        Assert.True(plain.GetProperty("reconstruction_error_plain").GetDouble() <= 1e-6, $"plain reconstruction error {plain.GetProperty("reconstruction_error_plain")}");
        Assert.True(dp.GetProperty("mia_auc").GetDouble() <= 0.55, $"MIA AUC at ε = 1 {dp.GetProperty("mia_auc")}");
        Assert.True(dp.GetProperty("reconstruction_error_plain").GetDouble() > 1, "DP noise should defeat the one-record inversion");
        Assert.True(plain.GetProperty("reconstruction_error_secagg").GetDouble() > 0.1, "the sum should not give away a single record");
        Assert.True(plain.GetProperty("mlp_reconstruction_error_plain").GetDouble() < plain.GetProperty("mlp_reconstruction_error_secagg").GetDouble(), "secure aggregation should make the MLP inversion worse");

        // The report's hash is in the signed ledger beside it.
        string reportSha = Sha256Hex.OfText(await File.ReadAllTextAsync(Path.Combine(output.Path, "report.json"), TestContext.Current.CancellationToken));
        Assert.Equal(json, await File.ReadAllTextAsync(Path.Combine(output.Path, "report.json"), TestContext.Current.CancellationToken));
        Assert.StartsWith("<svg", await File.ReadAllTextAsync(Path.Combine(output.Path, "privacy.svg"), TestContext.Current.CancellationToken), StringComparison.Ordinal);
        using EcdsaLedgerSigner key = EcdsaLedgerSigner.LoadOrCreate(Path.Combine(output.Path, "ledger.key.pem"), Path.Combine(output.Path, "ledger.pub.pem"));
        using AuditLedger ledger = AuditLedger.Open(Path.Combine(output.Path, "ledger.db"), "redteam", LedgerRole.Coordinator, key, TimeProvider.System);
        RedTeamReportEvent entry = Assert.IsType<RedTeamReportEvent>(Assert.Single(ledger.ReadEntries()).Event);
        Assert.Equal(("redteam.yaml", reportSha, (string?)null), (entry.JobId, entry.ReportSha256, entry.PreviousSha256));
        Assert.Contains("epsilons=1,inf", entry.Settings, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0,inf")]
    [InlineData("1,abc")]
    [InlineData("")]
    public async Task BadEpsilons_ExitTwoNamingTheOption(string epsilons)
    {
        (int exit, _, string error) = await CliRunner.RunAsync("redteam", "privacy", s_job, "--epsilons", epsilons);

        Assert.Equal(2, exit);
        Assert.Contains("--epsilons", error, StringComparison.Ordinal);
    }
}
