using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Consortia.Cli.Output.Reports;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Output.Reports;

/// <summary>The fairness audit in <c>simulate --out</c>'s report, card and fairness.json, and in <c>report training --fairness</c>.</summary>
public sealed partial class FairnessReportTests(ITestOutputHelper output)
{
    private static readonly string s_heart = RepositoryPaths.Combine("examples", "heart-disease", "fairness-reweighting.yaml");
    private static readonly string s_tcga = RepositoryPaths.Combine("examples", "tcga-brca", "fairness-reweighting.yaml");

    [Trait("Category", "Slow")]
    [Fact]
    public async Task SimulateOut_HeartWithFairnessGroups_ReportCardAndJsonShowTheAuditsNumbers()
    {
        using TempDirectory temp = new();
        string dir = temp.File("run");

        (int exit, _, string error) = await CliRunner.RunAsync("simulate", s_heart, "--out", dir, "--json");

        Assert.True(exit == 0, error);
        string json = await File.ReadAllTextAsync(Path.Combine(dir, FairnessJson.FileName), TestContext.Current.CancellationToken);
        // fairness.json is what `audit-model fairness --json` prints for the same job (it trains the job again, from the same seed).
        (int auditExit, string audit, string auditError) = await CliRunner.RunAsync("audit-model", "fairness", s_heart, "--json");
        Assert.True(auditExit == 0, auditError);
        Assert.Equal(audit, json);

        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement[] groups = [.. document.RootElement.GetProperty("groups").EnumerateArray()];
        Assert.Equal(4 + 2 + 3, groups.Length); // four hospitals, two sexes, three age bands
        string html = await File.ReadAllTextAsync(Path.Combine(dir, ReportArtifacts.ReportFile), TestContext.Current.CancellationToken);
        Assert.Contains("<h2>Fairness across patient groups</h2>", html, StringComparison.Ordinal);
        foreach (JsonElement g in groups)
        {
            // Each group's row, built from the JSON numbers independently of the report's own reader.
            string row = string.Concat(new[]
            {
                g.GetProperty("group").GetString()!, Integer(g, "n"), Integer(g, "positives"), Integer(g, "sites"),
                Ci(g, "accuracy"), Ci(g, "tpr"), Ci(g, "fpr"), Ci(g, "auc"), Ci(g, "calibration_error"),
            }.Select(c => $"<td>{System.Net.WebUtility.HtmlEncode(c)}</td>"));
            Assert.Contains($"<tr>{row}</tr>", html, StringComparison.Ordinal);
            Assert.True(g.GetProperty("roc").GetArrayLength() >= 2 || g.GetProperty("n").GetInt64() == 0, "every released group has ROC corners in the JSON");
            Assert.Equal(10, g.GetProperty("calibration").GetArrayLength());
        }

        foreach (string chart in new[] { "By sex: accuracy, TPR, FPR and AUC", "ROC curve by sex (from counts)", "Calibration by age_band (10 bins, from counts)", "equalised odds", "demographic parity" })
        {
            Assert.Contains(chart, html, StringComparison.Ordinal);
        }

        Assert.Empty(ExternalReference().Matches(html));
        Assert.DoesNotContain("http", html, StringComparison.OrdinalIgnoreCase);

        // The card: the groups audited, the largest gaps with their intervals, what the sites withheld.
        string card = await File.ReadAllTextAsync(Path.Combine(dir, ReportArtifacts.CardFile), TestContext.Current.CancellationToken);
        JsonElement sex = document.RootElement.GetProperty("gaps").GetProperty("sex");
        JsonElement odds = sex.GetProperty("equalised_odds");
        Assert.Contains($"- **Groups audited:** site (cleveland n={Integer(groups[0], "n")}", card, StringComparison.Ordinal);
        Assert.Contains($"sex (female n={Integer(groups[4], "n")}, male n={Integer(groups[5], "n")})", card, StringComparison.Ordinal);
        Assert.Contains($"- **Largest gaps by sex:** equalised odds (larger of the TPR and FPR gaps) {Ci(odds, "value", odds.GetProperty("ci95"))} ({odds.GetProperty("high").GetString()} − {odds.GetProperty("low").GetString()})", card, StringComparison.Ordinal);
        string[] withheld = [.. document.RootElement.GetProperty("withheld").EnumerateObject().Where(s => s.Value.GetArrayLength() > 0).Select(s => $"{s.Name}: {string.Join(", ", s.Value.EnumerateArray().Select(c => c.GetString()))}")];
        Assert.NotEmpty(withheld); // the small hospitals hold fewer women and old patients than the policy's minimum cell count
        Assert.Contains($"- **Suppressed groups:** {string.Join("; ", withheld)} (below", card, StringComparison.Ordinal);
        output.WriteLine(string.Join(Environment.NewLine, card.Split('\n').SkipWhile(l => !l.StartsWith("## Fairness", StringComparison.Ordinal)).TakeWhile(l => !l.StartsWith("## Limits", StringComparison.Ordinal))));

        // A deployed job's report: the store's rounds plus the audit file give the fairness section and count-based ROC/calibration.
        using JsonDocument resume = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "resume.json"), TestContext.Current.CancellationToken));
        string id = resume.RootElement.GetProperty("job_id").GetString()!;
        (int reportExit, _, string reportError) = await CliRunner.RunAsync("report", "training", "--job", id, "--store", Path.Combine(dir, "jobs.db"), "--fairness", Path.Combine(dir, FairnessJson.FileName), "--out", temp.File("training.html"));
        Assert.True(reportExit == 0, reportError);
        string deployed = await File.ReadAllTextAsync(temp.File("training.html"), TestContext.Current.CancellationToken);
        Assert.Contains("<h2>ROC and calibration (final model, test sets, from the fairness audit's counts)</h2>", deployed, StringComparison.Ordinal);
        Assert.Contains("ROC curve by site (from counts)", deployed, StringComparison.Ordinal);
        Assert.Contains($"<tr><td>cleveland</td><td>{Integer(groups[0], "n")}</td><td>{Ci(groups[0], "auc")}</td>", deployed, StringComparison.Ordinal);
        Assert.Contains($"<tr>{string.Concat(new[] { "female", Integer(groups[4], "n") }.Select(c => $"<td>{c}</td>"))}", deployed, StringComparison.Ordinal);
        Assert.DoesNotContain("http", deployed, StringComparison.OrdinalIgnoreCase);

        // A file that is not an audit: exit 2 naming the file and the field, no report written.
        string bad = temp.File("bad.json");
        await File.WriteAllTextAsync(bad, FirstCount().Replace(json, "\"n\": -", 1), TestContext.Current.CancellationToken);
        (int badExit, _, string badError) = await CliRunner.RunAsync("report", "training", "--job", id, "--store", Path.Combine(dir, "jobs.db"), "--fairness", bad, "--out", temp.File("bad.html"));
        Assert.Equal(2, badExit);
        Assert.Contains("bad.json: groups[0].n: expected a non-negative integer", badError, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.File("bad.html")));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task SimulateOut_CoxWithAgeBands_ReportsCIndexPerGroupAndNoRoc()
    {
        using TempDirectory temp = new();
        string dir = temp.File("run");

        (int exit, _, string error) = await CliRunner.RunAsync("simulate", s_tcga, "--out", dir, "--json");

        Assert.True(exit == 0, error);
        using JsonDocument document = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, FairnessJson.FileName), TestContext.Current.CancellationToken));
        string html = await File.ReadAllTextAsync(Path.Combine(dir, ReportArtifacts.ReportFile), TestContext.Current.CancellationToken);
        Assert.Contains("<h2>Fairness across patient groups</h2>", html, StringComparison.Ordinal);
        Assert.Contains("C-index by age_band", html, StringComparison.Ordinal);
        foreach (JsonElement g in document.RootElement.GetProperty("groups").EnumerateArray())
        {
            string row = string.Concat(new[]
            {
                g.GetProperty("group").GetString()!, Integer(g, "n"), Integer(g, "events"), Integer(g, "sites"), Integer(g, "comparable_pairs"), Ci(g, "c_index"),
            }.Select(c => $"<td>{System.Net.WebUtility.HtmlEncode(c)}</td>"));
            Assert.Contains($"<tr>{row}</tr>", html, StringComparison.Ordinal);
            Assert.False(g.TryGetProperty("roc", out _));
        }

        Assert.DoesNotContain("ROC curve by", html, StringComparison.Ordinal);
        Assert.Contains("Not applicable: a survival model is ranked by its C-index", html, StringComparison.Ordinal);
        string card = await File.ReadAllTextAsync(Path.Combine(dir, ReportArtifacts.CardFile), TestContext.Current.CancellationToken);
        Assert.Contains("- **C-index per group** (comparable pairs within sites): site=", card, StringComparison.Ordinal);
        JsonElement gap = document.RootElement.GetProperty("gaps").GetProperty("age_band").GetProperty("c_index");
        Assert.Contains($"- **Largest gap by age_band:** C-index {Ci(gap, "value", gap.GetProperty("ci95"))}", card, StringComparison.Ordinal);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task SimulateOut_EveryRoundRefused_StillRendersAndSaysWhyThereIsNoAudit()
    {
        using TempDirectory temp = new();
        // The heart job without its policies: simulated sites without a policy refuse every round.
        string yaml = (await File.ReadAllTextAsync(s_heart, TestContext.Current.CancellationToken))
            .Replace("../../data/fed-heart-disease", RepositoryPaths.Combine("data", "fed-heart-disease"), StringComparison.Ordinal);
        yaml = yaml[..yaml.IndexOf("policies:", StringComparison.Ordinal)];
        string job = temp.File("refused.yaml");
        await File.WriteAllTextAsync(job, yaml, TestContext.Current.CancellationToken);
        string dir = temp.File("run");

        (int exit, _, string error) = await CliRunner.RunAsync("simulate", job, "--out", dir);

        Assert.True(exit == 0, error);
        string html = await File.ReadAllTextAsync(Path.Combine(dir, ReportArtifacts.ReportFile), TestContext.Current.CancellationToken);
        Assert.EndsWith("</body></html>\n", html, StringComparison.Ordinal);
        Assert.Contains("The job declares fairness groups, but no audit was run: no round was aggregated", html, StringComparison.Ordinal);
        Assert.Contains("<td>no", html, StringComparison.Ordinal); // the rounds table: not aggregated
        Assert.False(File.Exists(Path.Combine(dir, FairnessJson.FileName)));
        string card = await File.ReadAllTextAsync(Path.Combine(dir, ReportArtifacts.CardFile), TestContext.Current.CancellationToken);
        Assert.Contains("no audit was run: no round was aggregated", card, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("{\"groups\": 3, \"gaps\": {}}", "x.json: groups: expected an array")]
    [InlineData("{\"groups\": [], \"gaps\": 1}", "x.json: gaps: expected an object of attributes")]
    [InlineData("{\"groups\": [{\"attribute\": \"sex\", \"group\": \"f\", \"n\": 3, \"positives\": 1, \"sites\": 1, \"accuracy\": 1.5}], \"gaps\": {}}", "x.json: groups[0].accuracy: expected a number in [0, 1] or null")]
    [InlineData("{\"groups\": [7], \"gaps\": {}}", "x.json: not the JSON of `consortia audit-model fairness --json`")]
    [InlineData("{\"groups\": [{\"attribute\": \"sex\", \"group\": \"f\", \"n\": 3, \"positives\": 1, \"sites\": 1, \"ci95\": {\"auc\": [0.9, 0.1]}}], \"gaps\": {}}", "x.json: groups[0].ci95.auc: expected [lower, upper] with lower ≤ upper")]
    public void Read_NotAnAudit_NamesTheFileAndTheField(string json, string message)
    {
        InvalidDataException error = Assert.Throws<InvalidDataException>(() => FairnessJson.Read(json, "x.json"));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_HostileGroupNamesFromAFile_AreEscaped()
    {
        FairnessFacts facts = FairnessJson.Read(
            """{"groups": [{"attribute": "sex", "group": "<script>x</script>", "n": 3, "positives": 1, "sites": 1, "auc": 0.5}], "gaps": {"sex": {}}, "withheld": {"<img>": ["sex=<b>"]}}""", "x.json");
        System.Text.StringBuilder h = new();

        FairnessHtml.Section(h, facts, []);

        Assert.DoesNotContain("<script>", h.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("<img>", h.ToString(), StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;x&lt;/script&gt;", h.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Section_AuditOfOtherSites_IsFlagged()
    {
        FairnessFacts facts = FairnessJson.Read(
            """{"groups": [{"attribute": "site", "group": "elsewhere", "n": 30, "positives": 10, "sites": 1, "auc": 0.7}], "gaps": {"site": {}}}""", "x.json");
        System.Text.StringBuilder mismatched = new(), matched = new();

        FairnessHtml.Section(mismatched, facts, ["cleveland", "va"]);
        FairnessHtml.Section(matched, facts, ["elsewhere"]);

        Assert.Contains("This audit names sites the job's rounds do not (elsewhere; the job's: cleveland, va)", mismatched.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("This audit names sites", matched.ToString(), StringComparison.Ordinal);
    }

    private static string Integer(JsonElement g, string name) => g.GetProperty(name).GetInt64().ToString(CultureInfo.InvariantCulture);

    // "0.7115 [0.6182, 0.7898]" from the JSON's value and ci95 pair, as the report prints an estimate.
    private static string Ci(JsonElement g, string name) => Ci(g, name, g.GetProperty("ci95"), name);

    private static string Ci(JsonElement g, string name, JsonElement ci, string? ciName = null)
    {
        JsonElement value = g.GetProperty(name);
        if (value.ValueKind == JsonValueKind.Null)
        {
            return "n/a";
        }

        JsonElement pair = ciName is null ? ci : ci.GetProperty(ciName);
        string estimate = value.GetDouble().ToString("F4", CultureInfo.InvariantCulture);
        return pair.ValueKind == JsonValueKind.Null
            ? estimate
            : $"{estimate} [{pair[0].GetDouble().ToString("F4", CultureInfo.InvariantCulture)}, {pair[1].GetDouble().ToString("F4", CultureInfo.InvariantCulture)}]";
    }

    /// <summary>The first group's record count, made negative by the test.</summary>
    [GeneratedRegex("\"n\": ")]
    private static partial Regex FirstCount();

    /// <summary>A src or href attribute pointing anywhere but into the document itself.</summary>
    [GeneratedRegex("""(src|href)\s*=\s*["']?(?!#)[^"'\s>]+""", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();
}
