using System.Text.Json;
using Consortia.Assurance.Fairness;
using Consortia.Data;
using Consortia.EndToEnd.Tests.Support;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Learning.Models;
using Consortia.Network.Coordinator;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests;

/// <summary>
/// The fairness audit of a deployed job: four hospital processes train the Heart job over mutual TLS with secure
/// aggregation, then `consortia audit-model fairness --job` has each hospital compute its per-sex counts on its own
/// data and release them only through a SecAgg+ session; the coordinator's report equals the simulation's audit of
/// the same model on the same data, and each hospital withheld exactly the cells below its minimum cell count.
/// </summary>
[Collection(EndToEndGroup.Name)]
[Trait("Category", "Slow")]
public sealed class FairnessAuditDeploymentTests
{
    private static readonly string[] s_hospitals = ["cleveland", "hungarian", "switzerland", "va"];

    [Fact]
    public async Task DeployedAudit_BySex_WithSecureAggregation_EqualsTheSimulationAuditOfTheSameModel()
    {
        await using Consortium consortium = await Consortium.ProvisionAsync();
        await consortium.StartCoordinatorAsync();
        foreach (string hospital in s_hospitals)
        {
            await consortium.EnrollAndStartNodeAsync(hospital);
        }

        // The policed Heart job (secure aggregation, the hospitals' policies: min_cell_count 10), shortened, with a fairness section.
        string jobFile = Path.Combine(consortium.Root, "heart-fairness.yaml");
        string yaml = (await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "examples", "heart-disease", "fedavg-policed.yaml"), TestContext.Current.CancellationToken))
            .Replace("../../data/fed-heart-disease", Path.Combine(RepositoryPaths.Root, "data", "fed-heart-disease"), StringComparison.Ordinal)
            .Replace("rounds: 15", "rounds: 3", StringComparison.Ordinal)
            .Replace("default: ../policies/", "default: " + Path.Combine(RepositoryPaths.Root, "examples", "policies") + "/", StringComparison.Ordinal)
            + "\nfairness:\n  groups:\n    sex: {column: sex, values: {female: 0, male: 1}}\n    age_band: {column: age, bands: [55, 65]}\n  threshold: 0.5\n";
        await File.WriteAllTextAsync(jobFile, yaml, TestContext.Current.CancellationToken);
        string jobId = await consortium.SubmitAsync(jobFile);
        using (JsonDocument status = await consortium.WaitForJobAsync(jobId, TimeSpan.FromMinutes(5)))
        {
            Assert.Equal("completed", status.RootElement.GetProperty("status").GetString());
        }

        (int code, string output) = await consortium.RunAsync(["audit-model", "fairness", "--job", jobId, "--groups", "sex", "--json", "--coordinator", $"https://127.0.0.1:{consortium.AdminPort}", "--home", consortium.Home]);
        Assert.True(code == 0, $"audit-model fairness --job failed ({code}):\n{output}\n--- logs ---\n{consortium.Logs()}");
        string json = output[output.IndexOf('{', StringComparison.Ordinal)..(output.LastIndexOf('}') + 1)];
        TestContext.Current.TestOutputHelper?.WriteLine(json);
        using JsonDocument deployed = JsonDocument.Parse(json);
        JsonElement root = deployed.RootElement;
        Assert.True(root.GetProperty("secure_aggregation").GetBoolean());
        Assert.Equal(s_hospitals, root.GetProperty("sites").EnumerateArray().Select(s => s.GetString()));
        Assert.StartsWith("omitted", root.GetProperty("pooled_check").GetString(), StringComparison.Ordinal);

        // Expected: the simulation's audit code on the same hospitals' data and the same (downloaded) model.
        ModelDownload model;
        using (JobAdminClient admin = consortium.ConnectAdmin())
        {
            model = await admin.GetModelAsync(jobId, TestContext.Current.CancellationToken);
        }

        JobDefinition job = JobFile.Load(jobFile);
        FederatedDataset data = FederatedSimulation.LoadData(job);
        ModelSpec spec = job.ModelFor(data.Sites[0].Train.FeatureCount);
        FairnessAudit audit = new([job.Fairness!.Groups.Single(g => g.Name == "sex")], s_hospitals);
        FairnessAuditResult expected = FederatedFairnessAudit.Run(audit, data.Sites, spec, model.Values.ToArray(), _ => 10, new PlainCountChannel());

        JsonElement[] groups = [.. root.GetProperty("groups").EnumerateArray()];
        Assert.Equal(expected.Report.Groups.Length, groups.Length);
        foreach ((GroupFairness want, JsonElement got) in expected.Report.Groups.Zip(groups))
        {
            Assert.Equal((want.Attribute, want.Group), (got.GetProperty("attribute").GetString(), got.GetProperty("group").GetString()));
            Assert.Equal((want.N, want.Positives, want.Sites), (got.GetProperty("n").GetInt64(), got.GetProperty("positives").GetInt64(), got.GetProperty("sites").GetInt32()));
            Same(want.Accuracy.Value, got, "accuracy");
            Same(want.Tpr.Value, got, "tpr");
            Same(want.Fpr.Value, got, "fpr");
            Same(want.Auc.Value, got, "auc");
            Same(want.CalibrationError, got, "calibration_error");
        }

        foreach (AttributeGaps attribute in expected.Report.Gaps)
        {
            foreach (FairnessGap gap in attribute.Gaps)
            {
                Same(gap.Gap.Value, root.GetProperty("gaps").GetProperty(attribute.Attribute).GetProperty(gap.Metric), "value");
            }
        }

        // Each hospital withheld exactly the cells the simulation's sites withhold (below min_cell_count 10), and released
        // its counts only masked; the coordinator's ledger holds the report's hash.
        foreach (string hospital in s_hospitals)
        {
            FairnessAuditEvent released = Assert.Single(Events(Path.Combine(consortium.Root, "sites", hospital, "state", "ledger.db")).OfType<FairnessAuditEvent>());
            Assert.Equal((FairnessRelease.Masked, jobId, model.Sha256), (released.Release, released.RunId, released.ModelSha256));
            Assert.Equal(expected.Withheld[hospital].Select(c => c.Attribute + "=" + c.Group), released.Withheld);
        }

        Assert.Contains(expected.Withheld.Values, cells => cells.Count > 0); // the suppression is exercised (e.g. a hospital with few women in its test set)
        FairnessAuditEvent report = Assert.Single(Events(Path.Combine(consortium.Home, "ledgers", "coordinator.db")).OfType<FairnessAuditEvent>());
        Assert.Equal((FairnessRelease.Report, jobId, Sha256Hex.OfText(json + Environment.NewLine), 4), (report.Release, report.RunId, report.Sha256, report.Sites));

        // The audit of a job nobody ran is refused by the coordinator, naming the job.
        (int unknownCode, string unknown) = await consortium.RunAsync(["audit-model", "fairness", "--job", "no-such-job", "--coordinator", $"https://127.0.0.1:{consortium.AdminPort}", "--home", consortium.Home]);
        Assert.Equal(2, unknownCode);
        Assert.Contains("no-such-job", unknown, StringComparison.Ordinal);
    }

    private static void Same(double expected, JsonElement element, string name)
    {
        JsonElement value = element.GetProperty(name);
        if (double.IsNaN(expected))
        {
            Assert.Equal(JsonValueKind.Null, value.ValueKind);
        }
        else
        {
            Assert.Equal(expected, value.GetDouble(), 12);
        }
    }

    private static IEnumerable<LedgerEvent> Events(string ledger) => LedgerReader.Read(ledger).Entries.Select(e => e.Event);
}
