using System.Text.RegularExpressions;
using Consortia.Cli.Output.Reports;
using Consortia.Dashboard.Charts;
using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Learning;
using Consortia.Learning.Export.Onnx;
using Consortia.Learning.Models;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Output.Reports;

/// <summary><c>simulate --out DIR</c> on the heart-disease example: report.html, model.onnx and model-card.md.</summary>
public sealed partial class ReportArtifactsTests
{
    private static readonly string s_job = RepositoryPaths.Combine("examples", "heart-disease", "fedavg.yaml");

    [Trait("Category", "Slow")]
    [Fact]
    public async Task SimulateOut_HeartDisease_WritesSelfContainedReportOnnxMatchingOurPredictionsAndCard()
    {
        using TempDirectory temp = new();
        string dir = temp.File("run");

        (int exit, _, string error) = await CliRunner.RunAsync("simulate", s_job, "--out", dir, "--json");

        Assert.True(exit == 0, error);

        // The report: one file, inline SVG plots, nothing fetched from anywhere.
        string html = await File.ReadAllTextAsync(Path.Combine(dir, ReportArtifacts.ReportFile), TestContext.Current.CancellationToken);
        Assert.True(Regex.Count(html, "<svg ") >= 6, "learning curves, final metrics, ROC and calibration should be inline SVG charts");
        foreach (string section in new[] { "Learning curves", "Final model: test metrics per site", "ROC and calibration", "Calibration (10 equal-width bins)", "Privacy accounting", "Protections in force", "Baselines", "cleveland", "local:va", "pooled" })
        {
            Assert.Contains(section, html, StringComparison.Ordinal);
        }

        Assert.Empty(ExternalReference().Matches(html));
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("<link", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("http", html, StringComparison.OrdinalIgnoreCase);

        // The ONNX file, run in ONNX Runtime on every site's test set, predicts what Consortia predicts.
        JobDefinition job = JobFile.Load(s_job);
        FederatedDataset data = FederatedDataLoader.Load(job.Data, Path.GetDirectoryName(s_job)!); // the example file has a folder
        ModelSpec spec = job.ModelFor(data.Sites[0].Test.FeatureCount);
        ParameterVector parameters = ReadModelJson(Path.Combine(dir, "model.json"), spec);
        byte[] onnx = await File.ReadAllBytesAsync(Path.Combine(dir, ReportArtifacts.OnnxFile), TestContext.Current.CancellationToken);
        float[] x = data.Sites.SelectMany(s => s.Test.Features.ToArray()).ToArray();
        int rows = data.Sites.Sum(s => s.Test.Count);
        float[] expected = new float[rows];
        spec.CreateModel(64).Predict(parameters.Values, x, expected);
        (float[] actual, string output, _) = OnnxModelRunner.Run(onnx, OnnxModelExporter.InputName, x, rows);
        Assert.Equal("probability", output);
        Assert.Equal(254, rows);
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 1e-5, $"largest difference between ONNX Runtime and Consortia: {worst}");

        // The card: data, training, privacy, fairness, intended use, limits.
        string card = await File.ReadAllTextAsync(Path.Combine(dir, ReportArtifacts.CardFile), TestContext.Current.CancellationToken);
        foreach (string section in new[] { "## Model", "## Intended use", "## Data", "## Training", "## Privacy and protections", "## Fairness", "## Limits", "| cleveland | 199 | 104 |", "**all** | 486 | 254", "fedavg", "cardiovascular-risk-prediction" })
        {
            Assert.Contains(section, card, StringComparison.Ordinal);
        }
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task ModelExportAndReportTraining_FromASimulatedRunsFiles_WriteTheSameOnnxAndAStoreReport()
    {
        using TempDirectory temp = new();
        string dir = temp.File("run");
        (int exit, _, string error) = await CliRunner.RunAsync("simulate", s_job, "--out", dir, "--json");
        Assert.True(exit == 0, error);

        // model export from model.json: byte for byte the file simulate wrote (same parameters, same metadata).
        (int exportExit, string exportOut, string exportError) = await CliRunner.RunAsync("model", "export", "--model", Path.Combine(dir, "model.json"), "--format", "onnx", "--out", temp.File("exported.onnx"));
        Assert.True(exportExit == 0, exportError);
        Assert.Contains("Logistic model (14 parameters)", exportOut, StringComparison.Ordinal);
        byte[] exported = await File.ReadAllBytesAsync(temp.File("exported.onnx"), TestContext.Current.CancellationToken);
        byte[] written = await File.ReadAllBytesAsync(Path.Combine(dir, ReportArtifacts.OnnxFile), TestContext.Current.CancellationToken);
        float[] x = [.. Enumerable.Range(0, 5 * 13).Select(i => (float)Math.Sin(i))];
        Assert.Equal(OnnxModelRunner.Run(written, OnnxModelExporter.InputName, x, 5).Values, OnnxModelRunner.Run(exported, OnnxModelExporter.InputName, x, 5).Values);

        // report training from the run's store: curves and final metrics from the committed rounds, no test predictions.
        using System.Text.Json.JsonDocument resume = System.Text.Json.JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(dir, "resume.json"), TestContext.Current.CancellationToken));
        string id = resume.RootElement.GetProperty("job_id").GetString() ?? throw new InvalidOperationException("resume.json has no job_id");
        (int reportExit, _, string reportError) = await CliRunner.RunAsync("report", "training", "--job", id, "--store", Path.Combine(dir, "jobs.db"), "--out", temp.File("training.html"));
        Assert.True(reportExit == 0, reportError);
        string html = await File.ReadAllTextAsync(temp.File("training.html"), TestContext.Current.CancellationToken);
        Assert.Contains("15 of 15 rounds committed", html, StringComparison.Ordinal);
        Assert.Contains("Test roc_auc per site", html, StringComparison.Ordinal);
        Assert.Contains("test sets' predictions stay at the sites", html, StringComparison.Ordinal);
        Assert.DoesNotContain("http", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ModelExport_NotAModelFile_ExitsTwoNamingTheFile()
    {
        using TempDirectory temp = new();
        string bad = temp.File("bad.json");
        await File.WriteAllTextAsync(bad, "{\"format\": \"something-else\"}", TestContext.Current.CancellationToken);

        (int exit, _, string error) = await CliRunner.RunAsync("model", "export", "--model", bad, "--out", temp.File("x.onnx"));

        Assert.Equal(2, exit);
        Assert.Contains("bad.json", error, StringComparison.Ordinal);
        Assert.Contains("consortia-model/1", error, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.File("x.onnx")));
    }

    [Fact]
    public void Roc_PerfectAndTiedScores_GivesOnePointPerDistinctThreshold()
    {
        Assert.Equal([(0.0, 0.0), (0.0, 0.5), (0.0, 1.0), (0.5, 1.0), (1.0, 1.0)], TrainingReportHtml.Roc([0.9f, 0.8f, 0.2f, 0.1f], [1, 1, 0, 0]));
        Assert.Equal([(0.0, 0.0), (1.0, 1.0)], TrainingReportHtml.Roc([0.5f, 0.5f], [1, 0])); // a tie is one threshold: no corner
        Assert.Empty(TrainingReportHtml.Roc([0.5f, 0.7f], [1, 1]));
    }

    [Fact]
    public void SvgChart_HostileSeriesName_IsEscaped()
    {
        string svg = SvgChart.Lines("t", "x", "y", [new ChartSeries("<script>alert(1)</script>", [(0, 0), (1, 1)])]);

        Assert.DoesNotContain("<script>", svg, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", svg, StringComparison.Ordinal);
    }

    private static ParameterVector ReadModelJson(string path, ModelSpec spec)
    {
        using System.Text.Json.JsonDocument json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
        float[] values = [.. json.RootElement.GetProperty("segments").EnumerateArray().SelectMany(s => s.GetProperty("values").EnumerateArray().Select(v => v.GetSingle()))];
        return new ParameterVector(spec.CreateLayout(), values);
    }

    /// <summary>A src or href attribute pointing anywhere but into the document itself.</summary>
    [GeneratedRegex("""(src|href)\s*=\s*["']?(?!#)[^"'\s>]+""", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();
}
