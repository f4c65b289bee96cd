using System.Text.Json;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Commands;

public sealed class BenchCommandsTests
{
    [Fact]
    public async Task BenchFlamby_HeartJson_HasEveryFlambyMethodBesideItsPublishedValue()
    {
        (int exit, string output, string error) = await CliRunner.RunAsync("bench", "flamby", "--dataset", "heart-disease", "--seeds", "42,43", "--data", RepositoryPaths.Combine("data"), "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.Equal("heart-disease", json.RootElement.GetProperty("dataset").GetString());
        JsonElement[] rows = [.. json.RootElement.GetProperty("rows").EnumerateArray()];
        foreach (string method in new[] { "Pooled", "Local 0", "Local 3", "FedAvg", "FedProx", "SCAFFOLD", "FedAdam", "FedYogi", "FedAdagrad", "Cyclic" })
        {
            JsonElement row = Assert.Single(rows, r => r.GetProperty("method").GetString() == method);
            Assert.Equal(JsonValueKind.Number, row.GetProperty("flamby_mean").ValueKind);
            Assert.Equal(4, row.GetProperty("per_center").GetArrayLength());
            Assert.InRange(row.GetProperty("mean").GetDouble(), 0.4, 1.0);
        }

        Assert.Equal(0.9375, json.RootElement.GetProperty("majority_baseline")[2].GetDouble(), 4); // Switzerland: always positive
    }

    [Fact]
    public async Task BenchFlamby_UnknownDataset_IsRejected()
    {
        (int exit, _, string error) = await CliRunner.RunAsync("bench", "flamby", "--dataset", "mnist");

        Assert.NotEqual(0, exit);
        Assert.Contains("mnist", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BenchDp_Json_ReportsUtilityPerEpsilonAndThroughput()
    {
        (int exit, string output, string error) = await CliRunner.RunAsync("bench", "dp", "--job", RepositoryPaths.Combine("examples", "heart-disease", "dp-sgd.yaml"), "--seeds", "42", "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement[] utility = [.. json.RootElement.GetProperty("utility").EnumerateArray()];
        Assert.Equal(12, utility.Length);
        foreach (string mode in new[] { "sample-level", "client-level" })
        {
            JsonElement[] rows = [.. utility.Where(u => u.GetProperty("mode").GetString() == mode)];
            Assert.Equal([0.5, 1, 2, 4, 8], rows[..^1].Select(u => u.GetProperty("epsilon").GetDouble()));
            Assert.Equal(JsonValueKind.Null, rows[^1].GetProperty("epsilon").ValueKind);
        }

        Assert.All(utility, u => Assert.InRange(u.GetProperty("accuracy").GetDouble(), 0.3, 1.0));
        Assert.Equal(["30-64-1", "1000-256-1"], json.RootElement.GetProperty("throughput").EnumerateArray().Select(t => t.GetProperty("model").GetString()));
    }

    [Fact]
    public async Task Tune_RanksCandidatesByCrossValidation()
    {
        (int exit, string output, string error) = await CliRunner.RunAsync(
            "tune", RepositoryPaths.Combine("examples", "heart-disease", "tuned.yaml"), "--set", "training.rounds=2,3", "--folds", "3");

        Assert.True(exit == 0, error);
        Assert.Contains("2 candidates, 3-fold cross-validation", output, StringComparison.Ordinal);
        Assert.Contains("training.rounds=2", output, StringComparison.Ordinal);
        Assert.Contains("training.rounds=3", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tune_UnknownKey_NamesIt()
    {
        (int exit, _, string error) = await CliRunner.RunAsync("tune", RepositoryPaths.Combine("examples", "heart-disease", "tuned.yaml"), "--set", "training.rondz=2");

        Assert.Equal(2, exit);
        Assert.Contains("training.rondz", error, StringComparison.Ordinal);
    }
}
