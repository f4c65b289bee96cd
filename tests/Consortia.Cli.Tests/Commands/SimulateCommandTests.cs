using System.Text.Json;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Commands;

public sealed class SimulateCommandTests
{
    private static string Example(string dataset) => RepositoryPaths.Combine("examples", dataset, "fedavg.yaml");

    [Fact]
    public async Task Simulate_HeartDiseaseJson_ReachesTargetAccuracyWithPerSiteMetrics()
    {
        (int exit, string output, string error) = await CliRunner.RunAsync("simulate", Example("heart-disease"), "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement final = json.RootElement.GetProperty("final");
        double accuracy = final.GetProperty("mean").GetProperty("accuracy").GetDouble();
        Assert.True(accuracy >= 0.70, $"mean per-center accuracy {accuracy}");
        Assert.Equal(4, final.GetProperty("sites").GetArrayLength());
        Assert.All(final.GetProperty("sites").EnumerateArray(), s => Assert.InRange(s.GetProperty("accuracy").GetDouble(), 0, 1));
        Assert.Equal(15, json.RootElement.GetProperty("rounds").GetArrayLength());
        Assert.Contains(json.RootElement.GetProperty("baselines").EnumerateArray(), b => b.GetProperty("name").GetString() == "pooled");
    }

    [Fact]
    public async Task Simulate_TcgaBrcaJson_ReachesTargetConcordance()
    {
        (int exit, string output, string error) = await CliRunner.RunAsync("simulate", Example("tcga-brca"), "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        double cIndex = json.RootElement.GetProperty("final").GetProperty("mean").GetProperty("c_index").GetDouble();
        Assert.True(cIndex >= 0.70, $"mean per-center C-index {cIndex}");
        Assert.Equal(6, json.RootElement.GetProperty("final").GetProperty("sites").GetArrayLength());
    }

    [Fact]
    public async Task Simulate_SameSeedTwice_WritesIdenticalModels()
    {
        using TempDirectory temp = new();

        (int exitA, _, _) = await CliRunner.RunAsync("simulate", Example("heart-disease"), "--seed", "5", "--out", temp.File("a"));
        (int exitB, _, _) = await CliRunner.RunAsync("simulate", Example("heart-disease"), "--seed", "5", "--out", temp.File("b"));
        (int exitC, _, _) = await CliRunner.RunAsync("simulate", Example("heart-disease"), "--seed", "6", "--out", temp.File("c"));

        Assert.Equal([0, 0, 0], [exitA, exitB, exitC]);
        string a = await File.ReadAllTextAsync(Path.Combine(temp.File("a"), "model.json"), TestContext.Current.CancellationToken);
        string b = await File.ReadAllTextAsync(Path.Combine(temp.File("b"), "model.json"), TestContext.Current.CancellationToken);
        string c = await File.ReadAllTextAsync(Path.Combine(temp.File("c"), "model.json"), TestContext.Current.CancellationToken);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.True(File.Exists(Path.Combine(temp.File("a"), "summary.md")));
        using JsonDocument model = JsonDocument.Parse(a);
        Assert.Equal("linear.weight", model.RootElement.GetProperty("segments")[0].GetProperty("name").GetString());
        Assert.Equal(13, model.RootElement.GetProperty("segments")[0].GetProperty("values").GetArrayLength());
    }

    [Fact]
    public async Task Simulate_BadJobFile_ExitsNonZeroNamingFileLineAndField()
    {
        using TempDirectory temp = new();
        string job = temp.File("bad.yaml");
        string text = (await File.ReadAllTextAsync(Example("heart-disease"), TestContext.Current.CancellationToken))
            .Replace("batch_size: 4\n  optimizer:\n    kind: sgd", "batch_size: four\n  optimizer:\n    kind: sgd", StringComparison.Ordinal);
        await File.WriteAllTextAsync(job, text, TestContext.Current.CancellationToken);

        (int exit, string output, string error) = await CliRunner.RunAsync("simulate", job, "--json");

        Assert.Equal(2, exit);
        Assert.Empty(output);
        Assert.Contains("bad.yaml:", error, StringComparison.Ordinal);
        Assert.Contains("training.batch_size", error, StringComparison.Ordinal);
        Assert.Contains("four", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_MissingDataFolder_ExitsNonZeroNamingThePath()
    {
        using TempDirectory temp = new();
        string job = temp.File("job.yaml");
        string text = (await File.ReadAllTextAsync(Example("heart-disease"), TestContext.Current.CancellationToken))
            .Replace("path: ../../data/fed-heart-disease", "path: no-such-folder", StringComparison.Ordinal);
        await File.WriteAllTextAsync(job, text, TestContext.Current.CancellationToken);

        (int exit, _, string error) = await CliRunner.RunAsync("simulate", job);

        Assert.Equal(2, exit);
        Assert.Contains("no-such-folder", error, StringComparison.Ordinal);
    }
}
