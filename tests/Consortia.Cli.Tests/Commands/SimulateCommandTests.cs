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

    [Trait("Category", "Slow")]
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

    [Trait("Category", "Slow")]
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

    [Fact]
    public async Task Simulate_HeartDiseaseWithSecureAggregation_MatchesThePlainAccuracy()
    {
        (int exitPlain, string plain, _) = await CliRunner.RunAsync("simulate", Example("heart-disease"), "--json");
        (int exitSecure, string secure, string error) = await CliRunner.RunAsync("simulate", RepositoryPaths.Combine("examples", "heart-disease", "fedavg-secagg.yaml"), "--json");

        Assert.Equal(0, exitPlain);
        Assert.True(exitSecure == 0, error);
        using JsonDocument a = JsonDocument.Parse(plain);
        using JsonDocument b = JsonDocument.Parse(secure);
        double plainAccuracy = a.RootElement.GetProperty("final").GetProperty("mean").GetProperty("accuracy").GetDouble();
        double secureAccuracy = b.RootElement.GetProperty("final").GetProperty("mean").GetProperty("accuracy").GetDouble();
        Assert.Equal(plainAccuracy, secureAccuracy, 2);
        Assert.All(b.RootElement.GetProperty("rounds").EnumerateArray(), r => Assert.True(r.GetProperty("aggregated").GetBoolean()));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task Simulate_DpSgdAtEpsilon4_ReportsEpsilonPerSiteAndStaysNearThePlainAccuracy()
    {
        (int exit, string output, string error) = await CliRunner.RunAsync("simulate", RepositoryPaths.Combine("examples", "heart-disease", "dp-sgd.yaml"), "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement privacy = json.RootElement.GetProperty("privacy");
        Assert.InRange(privacy.GetProperty("job_epsilon").GetDouble(), 3.9, 4.0 + 1e-6);
        Assert.Equal(4, privacy.GetProperty("sites").GetArrayLength());
        double accuracy = json.RootElement.GetProperty("final").GetProperty("mean").GetProperty("accuracy").GetDouble();
        Assert.True(accuracy >= 0.70 - 0.05, $"accuracy {accuracy}");
        // No training loss leaves a DP-SGD site, in the clear or in a sum.
        Assert.All(json.RootElement.GetProperty("rounds").EnumerateArray(), r => Assert.Equal(JsonValueKind.Null, r.GetProperty("train_loss").ValueKind));
        // Seeded simulation noise is warned about, on stderr and in the JSON.
        Assert.Contains("warning: the DP noise of this simulation is drawn from the job seed", error, StringComparison.Ordinal);
        Assert.Contains(json.RootElement.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("job seed", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("model:\n  kind: logistic", "model:\n  kind: cox", "dp-sgd-cox")]
    [InlineData("    clip: 1.0\n", "    clip: 1.0\n    sampling: fixed-size\n", "dp-poisson-sampling")]
    [InlineData("    clip: 1.0\n", "    clip: 1.0\n  site_budget:\n    epsilon: 10\n", "dp-budget-from-site")]
    public async Task Simulate_DpJobBreakingAPrivacyRule_ExitsTwoNamingTheRule(string from, string to, string rule)
    {
        using TempDirectory temp = new();
        string job = temp.File("job.yaml");
        string text = (await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "heart-disease", "dp-sgd.yaml"), TestContext.Current.CancellationToken))
            .Replace("path: ../../data/fed-heart-disease", "path: " + RepositoryPaths.Combine("data", "fed-heart-disease"), StringComparison.Ordinal);
        string changed = text.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(text, changed);
        await File.WriteAllTextAsync(job, changed, TestContext.Current.CancellationToken);

        (int exit, _, string error) = await CliRunner.RunAsync("simulate", job, "--json");

        Assert.Equal(2, exit);
        Assert.Contains(rule, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_ClientLevelDp_Json_ReportsTheJobsAndEachSitesEpsilon()
    {
        (int exit, string output, string error) = await CliRunner.RunAsync("simulate", RepositoryPaths.Combine("examples", "heart-disease", "dp-fedavg-client.yaml"), "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement privacy = json.RootElement.GetProperty("privacy");
        Assert.Equal("client-level", privacy.GetProperty("mode").GetString());
        double epsilon = privacy.GetProperty("job_epsilon").GetDouble();
        Assert.InRange(epsilon, 3.96, 4.0 + 1e-6);
        Assert.Equal(1.0, privacy.GetProperty("sample_rate").GetDouble());
        Assert.Equal(4, privacy.GetProperty("total_sites").GetInt32());
        Assert.True(privacy.GetProperty("noise_multiplier").GetDouble() > 0);
        JsonElement[] sites = [.. privacy.GetProperty("sites").EnumerateArray()];
        Assert.Equal(4, sites.Length);
        Assert.Equal("central-gaussian", privacy.GetProperty("noise").GetString());
        Assert.All(sites, s =>
        {
            Assert.Equal(epsilon, s.GetProperty("epsilon").GetDouble(), 9);
            Assert.Equal("sampled_gaussian", s.GetProperty("mechanism").GetString());
            Assert.Equal(epsilon, s.GetProperty("round_epsilon").GetDouble(), 9); // one round
            Assert.Equal(epsilon, s.GetProperty("lifetime_epsilon").GetDouble(), 9);
            Assert.Equal(20, s.GetProperty("lifetime_budget").GetDouble()); // the sites' policy (heart-disease-research.yaml)
        });
    }

    /// <summary>
    /// The same job under secure aggregation: the sites add discrete Gaussian noise and each reports — and booked in its
    /// ledger — that mechanism's ε, not the Gaussian z's.
    /// </summary>
    [Fact]
    public async Task Simulate_DistributedDp_Json_SitesReportTheDiscreteGaussiansOwnEpsilon()
    {
        using TempDirectory temp = new();
        string job = temp.File("job.yaml");
        string text = (await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "heart-disease", "dp-fedavg-client.yaml"), TestContext.Current.CancellationToken))
            .Replace("path: ../../data/fed-heart-disease", "path: " + RepositoryPaths.Combine("data", "fed-heart-disease"), StringComparison.Ordinal)
            .Replace("../policies/", RepositoryPaths.Combine("examples", "policies") + "/", StringComparison.Ordinal);
        string changed = text.Replace("\nevaluation:", "  secure_aggregation:\n    clip_range: 10\n\nevaluation:", StringComparison.Ordinal);
        Assert.NotEqual(text, changed);
        await File.WriteAllTextAsync(job, changed, TestContext.Current.CancellationToken);

        (int exit, string output, string error) = await CliRunner.RunAsync("simulate", job, "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement privacy = json.RootElement.GetProperty("privacy");
        Assert.Equal("discrete-gaussian", privacy.GetProperty("noise").GetString());
        Assert.InRange(privacy.GetProperty("job_epsilon").GetDouble(), 3.96, 4.0 + 1e-6);
        JsonElement[] sites = [.. privacy.GetProperty("sites").EnumerateArray()];
        Assert.Equal(4, sites.Length);
        Assert.All(sites, s =>
        {
            Assert.Equal("distributed_discrete_gaussian", s.GetProperty("mechanism").GetString());
            Assert.Equal(s.GetProperty("epsilon").GetDouble(), s.GetProperty("round_epsilon").GetDouble(), 9); // one round
            Assert.InRange(s.GetProperty("epsilon").GetDouble(), 3.9, 4.1); // the mechanism's ε on the ledger's order grid
            Assert.Equal(s.GetProperty("epsilon").GetDouble(), s.GetProperty("lifetime_epsilon").GetDouble(), 9);
        });
    }

    /// <summary>
    /// examples/heart-disease/dp-sgd.yaml whose sites' policy sets their lifetime budget to <paramref name="epsilon"/>
    /// (the budget is the site's own; a job cannot set it).
    /// </summary>
    private static async Task<string> DpSgdJobWithSiteBudgetAsync(TempDirectory temp, int epsilon)
    {
        string policy = temp.File("policy.yaml");
        string policyText = (await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "policies", "heart-disease-research.yaml"), TestContext.Current.CancellationToken))
            .Replace("epsilon_ceiling_per_job: 8.0", $"epsilon_ceiling_per_job: {Math.Min(epsilon, 8)}", StringComparison.Ordinal)
            .Replace("lifetime_epsilon_budget: 20.0", $"lifetime_epsilon_budget: {epsilon}", StringComparison.Ordinal);
        Assert.Contains($"lifetime_epsilon_budget: {epsilon}\n", policyText, StringComparison.Ordinal);
        await File.WriteAllTextAsync(policy, policyText, TestContext.Current.CancellationToken);
        string job = temp.File("job.yaml");
        string text = (await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "heart-disease", "dp-sgd.yaml"), TestContext.Current.CancellationToken))
            .Replace("path: ../../data/fed-heart-disease", "path: " + RepositoryPaths.Combine("data", "fed-heart-disease"), StringComparison.Ordinal)
            .Replace("default: ../policies/heart-disease-research.yaml", "default: " + policy, StringComparison.Ordinal);
        Assert.Contains("default: " + policy, text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(job, text, TestContext.Current.CancellationToken);
        return job;
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task Simulate_SiteBudgetSpent_RefusesTheRoundEvenAfterARestart()
    {
        using TempDirectory temp = new();
        string job = await DpSgdJobWithSiteBudgetAsync(temp, 5);

        (int first, string firstOut, _) = await CliRunner.RunAsync("simulate", job, "--json", "--out", temp.File("out"));
        (int second, string secondOut, _) = await CliRunner.RunAsync("simulate", job, "--json", "--out", temp.File("out"));

        Assert.Equal([0, 0], [first, second]);
        using JsonDocument a = JsonDocument.Parse(firstOut);
        using JsonDocument b = JsonDocument.Parse(secondOut);
        Assert.All(a.RootElement.GetProperty("rounds").EnumerateArray(), r => Assert.True(r.GetProperty("aggregated").GetBoolean()));
        JsonElement[] refused = [.. b.RootElement.GetProperty("rounds").EnumerateArray().Where(r => !r.GetProperty("aggregated").GetBoolean())];
        Assert.NotEmpty(refused);
        Assert.Contains("dp-budget", refused[^1].GetProperty("problems")[0].GetProperty("outcome").GetString(), StringComparison.Ordinal);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task Simulate_SitePolicyBudgetBelowTheJobsEpsilon_RefusesTheJob()
    {
        using TempDirectory temp = new();
        string job = await DpSgdJobWithSiteBudgetAsync(temp, 1);

        (int exit, string output, _) = await CliRunner.RunAsync("simulate", job, "--json", "--out", temp.File("out"));

        Assert.Equal(0, exit);
        using JsonDocument a = JsonDocument.Parse(output);
        JsonElement[] rounds = [.. a.RootElement.GetProperty("rounds").EnumerateArray()];
        // The policy's lifetime ε of 1 cannot hold a job of ε = 4: refused before anything is computed or charged.
        Assert.All(rounds, r => Assert.False(r.GetProperty("aggregated").GetBoolean()));
        Assert.Matches("dp-(budget|epsilon-ceiling)", rounds[0].GetProperty("problems")[0].GetProperty("outcome").GetString());
    }

    [Trait("Category", "Slow")]
    [Theory]
    [InlineData("fedavg.yaml")]
    [InlineData("fedavg-secagg.yaml")]
    public async Task Simulate_Out_LeavesLedgersThatVerifyAndCrossCheckAndAComplianceReport(string example)
    {
        using TempDirectory temp = new();
        string output = temp.File("out");

        (int exit, _, string error) = await CliRunner.RunAsync("simulate", RepositoryPaths.Combine("examples", "heart-disease", example), "--json", "--out", output);

        Assert.True(exit == 0, error);
        string ledgers = Path.Combine(output, "ledgers");
        foreach (string site in new[] { "coordinator", "cleveland", "hungarian", "switzerland", "va" })
        {
            (int verify, string verified, string verifyError) = await CliRunner.RunAsync("audit", "verify", "--ledger", Path.Combine(ledgers, site + ".db"), "--public-key", Path.Combine(ledgers, site + ".pub.pem"));
            Assert.True(verify == 0, verified + verifyError);
            if (site != "coordinator")
            {
                (int cross, string crossed, string crossError) = await CliRunner.RunAsync("audit", "cross-check", "--coordinator-ledger", Path.Combine(ledgers, "coordinator.db"), "--site-ledger", Path.Combine(ledgers, site + ".db"));
                Assert.True(cross == 0, crossed + crossError);
                Assert.Contains("15 update hash", crossed, StringComparison.Ordinal);
            }
        }

        string report = await File.ReadAllTextAsync(Path.Combine(output, "compliance.html"), TestContext.Current.CancellationToken);
        Assert.Contains("heart-disease", report, StringComparison.Ordinal);
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task Simulate_PolicedJob_AcceptedByEveryHospitalPolicy_TrainsAndRecordsTheDecisions()
    {
        using TempDirectory temp = new();

        (int exit, string output, string error) = await CliRunner.RunAsync("simulate", RepositoryPaths.Combine("examples", "heart-disease", "fedavg-policed.yaml"), "--json", "--out", temp.File("out"));

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        Assert.All(json.RootElement.GetProperty("rounds").EnumerateArray(), r => Assert.True(r.GetProperty("aggregated").GetBoolean()));
        (int verify, string verified, _) = await CliRunner.RunAsync("audit", "verify", "--ledger", Path.Combine(temp.File("out"), "ledgers", "va.db"));
        Assert.Equal(0, verify);
        Assert.Contains("VALID", verified, StringComparison.Ordinal);
        string[] events = [.. Consortia.Governance.Audit.LedgerReader.Read(Path.Combine(temp.File("out"), "ledgers", "va.db")).Entries.Select(e => e.Event.GetType().Name)];
        foreach (string expected in new[] { "JobReceivedEvent", "ConfigurationChangeEvent", "PolicyDecisionEvent", "RoundTrainedEvent", "UpdateSentEvent", "AggregateReceivedEvent" })
        {
            Assert.Contains(expected, events);
        }
    }

    [Theory]
    [InlineData("min_sites_per_aggregate: 3", "min_sites_per_aggregate: 5", "min-sites")]
    [InlineData("models: [logistic, mlp]", "models: [mlp]", "model")]
    [InlineData("columns: [age, sex, cp, trestbps, chol, fbs, restecg, thalach, exang, oldpeak, target]", "columns: [age, sex]", "columns")]
    [InlineData("consortia: [heart-consortium]", "consortia: [other-consortium]", "consortium")]
    public async Task Simulate_PolicyViolation_EverySiteRefusesNamingTheRule(string from, string to, string rule)
    {
        using TempDirectory temp = new();
        string policy = (await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "policies", "heart-consortium-site.yaml"), TestContext.Current.CancellationToken)).Replace(from, to, StringComparison.Ordinal);
        await File.WriteAllTextAsync(temp.File("site.yaml"), policy, TestContext.Current.CancellationToken);
        string job = (await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "heart-disease", "fedavg-policed.yaml"), TestContext.Current.CancellationToken))
            .Replace("path: ../../data/fed-heart-disease", "path: " + RepositoryPaths.Combine("data", "fed-heart-disease"), StringComparison.Ordinal)
            .Replace("default: ../policies/heart-consortium-site.yaml", "default: site.yaml", StringComparison.Ordinal);
        await File.WriteAllTextAsync(temp.File("job.yaml"), job, TestContext.Current.CancellationToken);

        (int exit, string output, string error) = await CliRunner.RunAsync("simulate", temp.File("job.yaml"), "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement first = json.RootElement.GetProperty("rounds")[0];
        Assert.False(first.GetProperty("aggregated").GetBoolean());
        Assert.Equal(4, first.GetProperty("problems").GetArrayLength());
        Assert.All(first.GetProperty("problems").EnumerateArray(), p => Assert.StartsWith($"refused ({rule})", p.GetProperty("outcome").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Simulate_SiteWithoutAPolicy_RefusesEverything()
    {
        using TempDirectory temp = new();
        string job = (await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "heart-disease", "fedavg-policed.yaml"), TestContext.Current.CancellationToken))
            .Replace("path: ../../data/fed-heart-disease", "path: " + RepositoryPaths.Combine("data", "fed-heart-disease"), StringComparison.Ordinal)
            .Replace("default: ../policies/heart-consortium-site.yaml", "cleveland: " + RepositoryPaths.Combine("examples", "policies", "heart-consortium-site.yaml"), StringComparison.Ordinal);
        await File.WriteAllTextAsync(temp.File("job.yaml"), job, TestContext.Current.CancellationToken);

        (int exit, string output, string error) = await CliRunner.RunAsync("simulate", temp.File("job.yaml"), "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement problems = json.RootElement.GetProperty("rounds")[0].GetProperty("problems");
        Assert.Equal(3, problems.GetArrayLength()); // every site but cleveland has no policy
        Assert.All(problems.EnumerateArray(), p => Assert.StartsWith("refused (policy)", p.GetProperty("outcome").GetString(), StringComparison.Ordinal));
    }

    [Trait("Category", "Slow")]
    [Fact]
    public async Task Simulate_MinimumCellCount_SuppressesMetricsOfSmallTestSets()
    {
        using TempDirectory temp = new();
        string policy = (await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "policies", "heart-consortium-site.yaml"), TestContext.Current.CancellationToken))
            .Replace("min_cell_count: 10", "min_cell_count: 20", StringComparison.Ordinal);
        await File.WriteAllTextAsync(temp.File("site.yaml"), policy, TestContext.Current.CancellationToken);
        string job = (await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "heart-disease", "fedavg-policed.yaml"), TestContext.Current.CancellationToken))
            .Replace("path: ../../data/fed-heart-disease", "path: " + RepositoryPaths.Combine("data", "fed-heart-disease"), StringComparison.Ordinal)
            .Replace("default: ../policies/heart-consortium-site.yaml", "default: site.yaml", StringComparison.Ordinal);
        await File.WriteAllTextAsync(temp.File("job.yaml"), job, TestContext.Current.CancellationToken);

        (int exit, string output, string error) = await CliRunner.RunAsync("simulate", temp.File("job.yaml"), "--json");

        Assert.True(exit == 0, error);
        using JsonDocument json = JsonDocument.Parse(output);
        JsonElement switzerland = json.RootElement.GetProperty("final").GetProperty("sites").EnumerateArray().Single(s => s.GetProperty("site").GetString() == "switzerland");
        Assert.Equal(16, switzerland.GetProperty("examples").GetInt32());
        Assert.Equal(JsonValueKind.Null, switzerland.GetProperty("accuracy").ValueKind); // 16 test records < 20
        JsonElement cleveland = json.RootElement.GetProperty("final").GetProperty("sites").EnumerateArray().Single(s => s.GetProperty("site").GetString() == "cleveland");
        Assert.Equal(JsonValueKind.Number, cleveland.GetProperty("accuracy").ValueKind);
    }
}
