using System.Text.Json;
using Consortia.Assurance.Fairness;
using Consortia.Cli.Commands;
using Consortia.Data;
using Consortia.Data.Contracts;
using Consortia.Data.Flamby;
using Consortia.Federation.SecureAggregation;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Commands;

/// <summary><c>consortia audit-model fairness</c> on the shipped examples, its errors, and what its secure channel is handed.</summary>
public sealed class AuditModelCommandTests(ITestOutputHelper output)
{
    private static string Example(string path) => RepositoryPaths.Combine(["examples", .. path.Split('/')]);

    [Fact]
    public async Task Fairness_HeartBySex_JsonHasTheIssuesShapeAndThePooledCheckAgrees()
    {
        (int exit, string json, string error) = await CliRunner.RunAsync("audit-model", "fairness", Example("heart-disease/fairness-reweighting.yaml"), "--groups", "sex", "--json");

        Assert.True(exit == 0, error);
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        JsonElement[] groups = [.. root.GetProperty("groups").EnumerateArray()];
        Assert.Equal(["site", "site", "site", "site", "sex", "sex"], groups.Select(g => g.GetProperty("attribute").GetString()));
        Assert.Equal(["female", "male"], groups.Skip(4).Select(g => g.GetProperty("group").GetString()));
        foreach (JsonElement g in groups)
        {
            Assert.True(g.GetProperty("n").GetInt64() > 0);
            foreach (string metric in new[] { "accuracy", "tpr", "fpr", "auc" })
            {
                Assert.InRange(g.GetProperty(metric).GetDouble(), 0, 1);
            }
        }

        Assert.Equal(["site", "sex"], root.GetProperty("gaps").EnumerateObject().Select(p => p.Name));
        JsonElement sex = root.GetProperty("gaps").GetProperty("sex");
        foreach (string gap in new[] { "tpr", "fpr", "equalised_odds", "demographic_parity", "accuracy", "auc" })
        {
            JsonElement interval = sex.GetProperty(gap).GetProperty("ci95");
            Assert.True(interval[0].GetDouble() <= sex.GetProperty(gap).GetProperty("value").GetDouble() && sex.GetProperty(gap).GetProperty("value").GetDouble() <= interval[1].GetDouble(), gap);
        }

        double maxAbsDiff = root.GetProperty("pooled_check").GetProperty("max_abs_diff").GetDouble();
        Assert.InRange(maxAbsDiff, 0, 1e-9);
        // Switzerland's test part holds fewer women than the policy's minimum cell count (10): withheld at the site.
        Assert.Equal(["sex=female"], root.GetProperty("withheld").GetProperty("switzerland").EnumerateArray().Select(e => e.GetString()));
        output.WriteLine($"pooled_check.max_abs_diff = {maxAbsDiff}");
    }

    [Fact]
    public async Task Fairness_TcgaByAgeBand_ReportsCIndexPerGroupAndItsGap()
    {
        (int exit, string json, string error) = await CliRunner.RunAsync("audit-model", "fairness", Example("tcga-brca/fairness-reweighting.yaml"), "--json", "--compare");

        Assert.True(exit == 0, error);
        using JsonDocument document = JsonDocument.Parse(json);
        foreach (string side in new[] { "before", "after" })
        {
            JsonElement audit = document.RootElement.GetProperty(side);
            JsonElement[] bands = [.. audit.GetProperty("groups").EnumerateArray().Where(g => g.GetProperty("attribute").GetString() == "age_band")];
            Assert.Equal(["<50", "50-65", ">=65"], bands.Select(g => g.GetProperty("group").GetString()));
            Assert.All(bands, g => Assert.InRange(g.GetProperty("c_index").GetDouble(), 0, 1));
            Assert.All(bands, g => Assert.True(g.GetProperty("events").GetInt64() <= g.GetProperty("n").GetInt64()));
            JsonElement gap = audit.GetProperty("gaps").GetProperty("age_band").GetProperty("c_index");
            Assert.Equal(bands.Max(b => b.GetProperty("c_index").GetDouble()) - bands.Min(b => b.GetProperty("c_index").GetDouble()), gap.GetProperty("value").GetDouble(), 12);
            Assert.InRange(audit.GetProperty("pooled_check").GetProperty("max_abs_diff").GetDouble(), 0, 1e-9);
            Assert.Equal(3, audit.GetProperty("withheld").GetProperty("Canada").GetArrayLength()); // 11 test records: every band under 10
        }
    }

    [Theory]
    [InlineData("sex,race", "--groups: 'race' is not declared under fairness.groups (declared: sex, age_band).")]
    [InlineData("site", "--groups: 'site' is not declared under fairness.groups (declared: sex, age_band).")]
    public async Task Fairness_UndeclaredGroup_ExitsTwoNamingIt(string groups, string message)
    {
        (int exit, string stdout, string error) = await CliRunner.RunAsync("audit-model", "fairness", Example("heart-disease/fairness-reweighting.yaml"), "--groups", groups);

        Assert.Equal(2, exit);
        Assert.Equal($"error: {message}", error.Trim());
        Assert.Empty(stdout);
    }

    [Fact]
    public async Task Fairness_JobWithoutFairnessSection_ExitsTwoSayingSo()
    {
        (int exit, _, string error) = await CliRunner.RunAsync("audit-model", "fairness", Example("heart-disease/fedavg.yaml"));

        Assert.Equal(2, exit);
        Assert.Contains("fedavg.yaml: the job declares no fairness: section", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new string[0], "give a job file (simulation) or --job ID (a deployed job).")]
    [InlineData(new[] { "--job", "0193-run", "--compare" }, "--job audits a deployed job: give no job file and no --compare with it.")]
    public async Task Fairness_NeitherOrBothModes_ExitTwoSayingWhichToGive(string[] options, string message)
    {
        (int exit, string stdout, string error) = await CliRunner.RunAsync(["audit-model", "fairness", .. options]);

        Assert.Equal(2, exit);
        Assert.Equal($"error: {message}", error.Trim());
        Assert.Empty(stdout);
    }

    [Fact]
    public async Task Fairness_DeployedJob_WithoutACoordinatorHome_ExitsTwoNamingTheFiles()
    {
        using TempDirectory home = new();
        (int exit, _, string error) = await CliRunner.RunAsync("audit-model", "fairness", "--job", "0193-run", "--home", home.Path);

        Assert.Equal(2, exit);
        Assert.Contains("expected ca.crt.pem and admin.token there", error, StringComparison.Ordinal);
    }

    [Fact]
    public void DeployedText_PrintsTheGroupsTheGapsAndSaysWhyThereIsNoPooledCheck()
    {
        string json = """
            {"job_id": "run-1", "name": "heart", "model_round": 3, "model_sha256": "ab", "secure_aggregation": true, "sites": ["a", "b", "c"],
             "groups": [{"attribute": "sex", "group": "female", "n": 53, "positives": 13, "sites": 2, "accuracy": 0.698, "tpr": null, "fpr": 0.35, "auc": 0.823, "positive_rate": 0.3, "calibration_error": 0.2, "ci95": {}}],
             "gaps": {"sex": {"tpr": {"value": 0.139, "ci95": null, "high": "female", "low": "male"}}},
             "problems": ["d refused (audit-attribute): no"], "pooled_check": "omitted: no pooled data"}
            """;

        string text = AuditModelCommand.DeployedText(json, "f00d");

        Assert.Contains("job run-1 (heart), model of round 3, sites a, b, c (secure aggregation)", text, StringComparison.Ordinal);
        Assert.Matches(@"sex\s+female\s+53\s+0\.698\s+n/a\s+0\.350", text);
        Assert.Contains("problem: d refused (audit-attribute): no", text, StringComparison.Ordinal);
        Assert.Contains("pooled check: omitted: no pooled data", text, StringComparison.Ordinal);
        Assert.Contains("report sha256 f00d", text, StringComparison.Ordinal);
    }

    [Fact]
    public void SecureCountChannel_SuppressedGroup_IsZeroInTheSitesProtocolInput()
    {
        FederatedDataset heart = FlambyHeartDisease.Load(RepositoryPaths.Combine("data", "fed-heart-disease"));
        SensitiveVariable sex = new("sex", "sex",
            [new SensitiveGroup("female", 0, double.NegativeInfinity, double.PositiveInfinity), new SensitiveGroup("male", 1, double.NegativeInfinity, double.PositiveInfinity)]);
        FairnessAudit audit = new([sex], [.. heart.Sites.Select(s => s.Name)]);
        SiteFairnessCounts[] sent = [.. heart.Sites.Select(site =>
        {
            float[] probabilities = [.. Enumerable.Range(0, site.Test.Count).Select(i => (i % 10) / 10f)]; // any scores: the counts are what matter
            return SiteFairnessCounts.Compute(audit, site.Name, probabilities, site.Test.Labels, SiteFairnessCounts.GroupsOf([sex], site, site.Test), minimumCellCount: 10);
        })];
        SiteFairnessCounts switzerland = sent.Single(s => s.Site == "switzerland");
        Assert.Contains(new FairnessCell("sex", "female"), switzerland.Suppressed);
        AuditModelCommand.SecureCountChannel channel = new(new SecureAggregationSettings(), "audit-test", 42);

        long[] sum = channel.Sum(sent);

        int female = audit.Layout.Cells.IndexOf(new FairnessCell("sex", "female"));
        Range block = (female * FairnessCountLayout.BlockLength)..((female + 1) * FairnessCountLayout.BlockLength);
        Assert.Equal(heart.Sites.Count, channel.Inputs.Count);
        Assert.All(channel.Inputs["switzerland"][block], c => Assert.Equal(0u, c));
        Assert.Contains(channel.Inputs["cleveland"][block], c => c != 0u); // a site that releases the cell sends its counts
        Assert.Equal(new PlainCountChannel().Sum(sent), sum);
    }

    [Fact]
    public void SecureCountChannel_SurvivalCounts_SumExactlyAndWithheldBandsAreZeroInTheInput()
    {
        FederatedDataset tcga = FlambyTcgaBrca.Load(RepositoryPaths.Combine("data", "fed-tcga-brca"));
        SensitiveVariable age = new("age_band", "age_at_index",
            [new SensitiveGroup("<50", null, double.NegativeInfinity, 50), new SensitiveGroup("50-65", null, 50, 65), new SensitiveGroup(">=65", null, 65, double.PositiveInfinity)]);
        FairnessAudit audit = new([age], [.. tcga.Sites.Select(s => s.Name)]);
        Learning.Models.ModelSpec spec = new(Learning.Models.ModelKind.CoxPh, tcga.Sites[0].Test.FeatureCount, []);
        float[] parameters = new float[spec.CreateLayout().Length];
        spec.CreateModel(1).Initialize(parameters, new Learning.RandomSource(3)); // any fixed model: the sums are what is checked
        AuditModelCommand.SecureCountChannel secure = new(new SecureAggregationSettings(), "audit-test", 42);

        SurvivalAuditResult viaSecure = FederatedFairnessAudit.RunSurvival(audit, tcga.Sites, spec, parameters, _ => 10, secure);
        SurvivalAuditResult viaPlain = FederatedFairnessAudit.RunSurvival(audit, tcga.Sites, spec, parameters, _ => 10, new PlainCountChannel());

        Assert.Equal(viaPlain.Report.Groups, viaSecure.Report.Groups);
        Assert.InRange(viaSecure.Pooled.MaxAbsDiff, 0, 1e-9);
        int firstBand = audit.Layout.Cells.IndexOf(new FairnessCell("age_band", "<50")) * SurvivalFairnessCounts.BlockLength;
        Assert.All(secure.Inputs["Canada"][firstBand..], c => Assert.Equal(0u, c)); // 11 test records: every band withheld
        Assert.Contains(secure.Inputs["Northeast"][firstBand..], c => c != 0u);
    }
}
