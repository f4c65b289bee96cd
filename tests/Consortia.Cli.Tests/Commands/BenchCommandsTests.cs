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
    public async Task BenchFlamby_Heart_HasPersonalisedRowsPerCenter_BesideLocalOnlyAtEachOwnSite()
    {
        (int exit, string output, string error) = await CliRunner.RunAsync("bench", "flamby", "--dataset", "heart-disease", "--seeds", "42", "--data", RepositoryPaths.Combine("data"), "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement[] rows = [.. json.RootElement.GetProperty("rows").EnumerateArray()];
        double[] PerCenter(string method) => [.. Assert.Single(rows, r => r.GetProperty("method").GetString() == method).GetProperty("per_center").EnumerateArray().Select(v => v.GetDouble())];
        double[] ownSite = PerCenter("Local (own site)");
        for (int c = 0; c < 4; c++)
        {
            Assert.Equal(PerCenter($"Local {c}")[c], ownSite[c]);
        }

        double[] ditto = PerCenter("Ditto (λ 0.1)");
        double[] fineTuned = PerCenter("FedAvg + fine-tune");
        Assert.Equal(4, ditto.Length);
        Assert.Equal(4, fineTuned.Length);
        Assert.All(ditto.Concat(fineTuned), v => Assert.InRange(v, 0.4, 1.0));
        // Ditto's global model is FedAvg's; its personal models differ from it (Switzerland: 0.875 against 0.625 measured).
        Assert.NotEqual(PerCenter("FedAvg"), ditto);
    }

    [Fact]
    public async Task BenchPoisoning_Json_HasTheCleanAttackedAndDefendedRows()
    {
        (int exit, string output, string error) = await CliRunner.RunAsync("bench", "poisoning", "--data", RepositoryPaths.Combine("data"), "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.Equal(10, json.RootElement.GetProperty("sites").GetInt32());
        JsonElement[] rows = [.. json.RootElement.GetProperty("rows").EnumerateArray()];
        Assert.Equal(6, rows.Length);
        Assert.Equal(0, rows[0].GetProperty("malicious_sites").GetInt32());
        Assert.True(rows[1].GetProperty("delta_from_clean").GetDouble() < -0.1);
        Assert.True(rows[2].GetProperty("delta_from_clean").GetDouble() >= -0.03);
    }

    [Fact]
    public async Task BenchPoisoning_HalfTheSitesMalicious_IsRejected()
    {
        (int exit, _, string error) = await CliRunner.RunAsync("bench", "poisoning", "--data", RepositoryPaths.Combine("data"), "--sites", "4", "--malicious", "2");

        Assert.Equal(2, exit);
        Assert.Contains("--malicious", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BenchFlamby_UnknownDataset_IsRejected()
    {
        (int exit, _, string error) = await CliRunner.RunAsync("bench", "flamby", "--dataset", "mnist");

        Assert.NotEqual(0, exit);
        Assert.Contains("mnist", error, StringComparison.Ordinal);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task BenchDp_Json_ReportsUtilityPerEpsilonAndThroughput()
    {
        (int exit, string output, string error) = await CliRunner.RunAsync("bench", "dp", "--job", RepositoryPaths.Combine("examples", "heart-disease", "dp-sgd.yaml"), "--seeds", "42", "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement[] utility = [.. json.RootElement.GetProperty("utility").EnumerateArray()];
        Assert.Equal(16, utility.Length);
        foreach (string mode in new[] { "sample-level", "client-level" })
        {
            JsonElement[] rows = [.. utility.Where(u => u.GetProperty("mode").GetString() == mode)];
            Assert.Equal([0.5, 1, 2, 4, 8], rows[..^1].Select(u => u.GetProperty("epsilon").GetDouble()));
            Assert.Equal(JsonValueKind.Null, rows[^1].GetProperty("epsilon").ValueKind);
        }

        // Distributed DP beside central client-level DP, each reporting the ε its own accountant gives.
        JsonElement[] distributed = [.. utility.Where(u => u.GetProperty("mode").GetString() == "distributed")];
        Assert.Equal([1, 2, 4, 8], distributed.Select(u => u.GetProperty("epsilon").GetDouble()));
        Assert.All(distributed, u => Assert.InRange(u.GetProperty("reported_epsilon").GetDouble(), u.GetProperty("epsilon").GetDouble() * 0.99, u.GetProperty("epsilon").GetDouble()));
        // The sites booked the default mechanism, the discrete Gaussian, at its own ε (one round: the job's).
        Assert.All(distributed, u => Assert.Equal("distributed_discrete_gaussian", u.GetProperty("mechanism").GetString()));
        Assert.All(distributed, u => Assert.InRange(u.GetProperty("site_epsilon").GetDouble(), u.GetProperty("epsilon").GetDouble() * 0.99, u.GetProperty("epsilon").GetDouble() * 1.01));
        JsonElement[] cost = [.. json.RootElement.GetProperty("distributed_noise_cost").EnumerateArray()];
        Assert.Equal(
            ["discrete-gaussian 14", "discrete-gaussian 1000", "discrete-gaussian 10000", "discrete-gaussian 100000", "skellam 14", "skellam 100"],
            cost.Select(c => $"{c.GetProperty("mechanism").GetString()} {c.GetProperty("parameters").GetInt32()}"));
        Assert.All(cost, c => Assert.True(c.GetProperty("noise_ms_per_site_round").GetDouble() > 0));

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
    public async Task Tune_RepeatsAndWrite_RecordsCommandAndScoresInTheChosenJob()
    {
        using TempDirectory temp = new();
        string output = temp.File("best.yaml");

        (int exit, string stdout, string error) = await CliRunner.RunAsync(
            "tune", RepositoryPaths.Combine("examples", "heart-disease", "fedavg.yaml"),
            "--set", "training.rounds=1", "--set", "training.local_steps=5", "--set", "data.standardization=per-site,pooled",
            "--folds", "2", "--repeats", "2", "--seed", "7", "--top", "2", "--write", output);

        Assert.True(exit == 0, error);
        Assert.Contains("2 candidates, 2-fold cross-validation repeated 2×", stdout, StringComparison.Ordinal);
        string[] lines = await File.ReadAllLinesAsync(output, TestContext.Current.CancellationToken);
        Assert.Contains(lines, l => l.StartsWith("#   consortia tune ", StringComparison.Ordinal)
            && l.Contains("--set data.standardization=per-site,pooled", StringComparison.Ordinal)
            && l.EndsWith("--folds 2 --repeats 2 --seed 7", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("#   1. ", StringComparison.Ordinal) && l.Contains(" ± ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("#   2. ", StringComparison.Ordinal));
        Assert.Contains("  local_steps: 5", lines);
        Assert.Contains(lines, l => l is "  standardization: per-site" or "  standardization: pooled");
    }

    [Fact]
    public async Task Tune_ZeroRepeats_IsRejected()
    {
        (int exit, _, string error) = await CliRunner.RunAsync("tune", RepositoryPaths.Combine("examples", "heart-disease", "fedavg.yaml"), "--set", "training.rounds=1", "--repeats", "0");

        Assert.Equal(2, exit);
        Assert.Contains("--repeats", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tune_DpJobWithoutAcknowledgement_IsRefusedNamingTheRule()
    {
        (int exit, string output, string error) = await CliRunner.RunAsync("tune", RepositoryPaths.Combine("examples", "heart-disease", "dp-sgd.yaml"), "--set", "training.rounds=1,2");

        Assert.Equal(2, exit);
        Assert.Contains("dp-tune-unaccounted", error, StringComparison.Ordinal);
        Assert.Contains("--acknowledge-unaccounted-privacy", error, StringComparison.Ordinal);
        Assert.DoesNotContain("cv score", output, StringComparison.Ordinal);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task BenchFlamby_TunedRow_ReadsItsOwnPreprocessing()
    {
        using TempDirectory temp = new();
        string job = temp.File("scaled.yaml");
        await File.WriteAllTextAsync(job, """
            name: scaled
            data:
              format: flamby-tcga-brca
              path: anywhere
              standardization: pooled
            model:
              kind: cox
            training:
              rounds: 2
              local_steps: 20
              batch_size: 8
              optimizer:
                kind: sgd
                learning_rate: 0.1
            strategy:
              kind: fedavg
            """, TestContext.Current.CancellationToken);

        (int exit, string output, string error) = await CliRunner.RunAsync("bench", "flamby", "--dataset", "tcga-brca", "--seeds", "42", "--data", RepositoryPaths.Combine("data"), "--tuned", job, "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement row = Assert.Single(json.RootElement.GetProperty("rows").EnumerateArray(), r => r.GetProperty("method").GetString() == "Tuned (scaled.yaml)");
        Assert.Equal(6, row.GetProperty("per_center").GetArrayLength());
        Assert.InRange(row.GetProperty("mean").GetDouble(), 0.3, 1.0);
    }

    [Fact]
    public async Task BenchFlamby_TunedRowOfAnotherDataset_IsRejected()
    {
        (int exit, _, string error) = await CliRunner.RunAsync(
            "bench", "flamby", "--dataset", "tcga-brca", "--seeds", "42", "--data", RepositoryPaths.Combine("data"), "--tuned", RepositoryPaths.Combine("examples", "heart-disease", "fedavg.yaml"));

        Assert.Equal(2, exit);
        Assert.Contains("fedavg.yaml", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tune_UnknownKey_NamesIt()
    {
        (int exit, _, string error) = await CliRunner.RunAsync("tune", RepositoryPaths.Combine("examples", "heart-disease", "tuned.yaml"), "--set", "training.rondz=2");

        Assert.Equal(2, exit);
        Assert.Contains("training.rondz", error, StringComparison.Ordinal);
    }
}
