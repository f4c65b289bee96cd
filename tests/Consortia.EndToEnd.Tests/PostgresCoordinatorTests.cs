using System.Net;
using System.Text.Json;
using Consortia.Cli.Deployment;
using Consortia.EndToEnd.Tests.Support;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Learning.Metrics;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests;

/// <summary>
/// Coordinators on the PostgreSQL store (a throw-away server per test): kill -9 and resume, and an active/standby
/// pair in which the standby takes over the job of the killed active replica. Real processes over loopback.
/// </summary>
[Collection(EndToEndGroup.Name)]
[Trait("Category", "Slow")]
public sealed class PostgresCoordinatorTests
{
    private static readonly string[] s_hospitals = ["cleveland", "hungarian", "switzerland", "va"];
    private static readonly string s_jobFile = Path.Combine(RepositoryPaths.Root, "examples", "heart-disease", "fedavg-policed.yaml");

    [Fact]
    public async Task CoordinatorOnPostgreSql_KilledMidJob_Restarts_AndTheJobCompletes_WithNoGapAndNoDuplicate()
    {
        using PostgresServer database = PostgresServer.Start();
        await using Consortium consortium = await Consortium.ProvisionAsync();
        consortium.StoreYaml = StoreYaml(database.CreateDatabase());
        await consortium.StartCoordinatorAsync();
        await EnrollAllAsync(consortium);

        string jobId = await consortium.SubmitAsync(s_jobFile);
        await consortium.Coordinator!.WaitForLineAsync(l => l.Contains("round 5 of 15 committed", StringComparison.Ordinal), TimeSpan.FromMinutes(3), "committing round 5", TestContext.Current.CancellationToken);
        consortium.Coordinator.Kill(); // SIGKILL: no shutdown code runs
        await consortium.Coordinator.WaitForExitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        await consortium.StartCoordinatorAsync();
        using JsonDocument status = await consortium.WaitForJobAsync(jobId, TimeSpan.FromMinutes(5));
        Assert.Contains("resuming after round", consortium.Coordinator.Output, StringComparison.Ordinal);
        await AssertCompletedLikeTheSimulationAsync(status);

        // report training beside the live coordinator, from its configuration: the rounds it committed to PostgreSQL.
        string html = Path.Combine(consortium.Root, "training.html");
        (int reportCode, string reportOutput) = await consortium.RunAsync(["report", "training", "--job", jobId, "--config", Path.Combine(consortium.Root, "coordinator.yaml"), "--out", html]);
        Assert.True(reportCode == 0, reportOutput);
        string page = await File.ReadAllTextAsync(html, TestContext.Current.CancellationToken);
        Assert.Contains("completed, 15 of 15 rounds committed in PostgreSQL (host", page, StringComparison.Ordinal);
        string[] means = [.. status.RootElement.GetProperty("rounds").EnumerateArray().Last().GetProperty("metrics").EnumerateArray().Select(m => Cli.Output.SimulationReport.Format(m.GetProperty("mean").GetDouble()))];
        Assert.Contains($"<tr><td>mean over sites</td><td></td>{string.Concat(means.Select(m => $"<td>{m}</td>"))}</tr>", page, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(consortium.Home, "coordinator.db")), "the PostgreSQL coordinator wrote a SQLite store");
    }

    [Fact]
    public async Task ActiveAndStandby_OnOnePostgreSql_StandbyTakesOverTheKilledActivesJob_AndItCompletes()
    {
        using PostgresServer database = PostgresServer.Start();
        await using Consortium consortium = await Consortium.ProvisionAsync();
        consortium.StoreYaml = StoreYaml(database.CreateDatabase());
        await consortium.StartCoordinatorAsync();
        ConsortiaProcess active = consortium.Coordinator!;

        // Same home, store and ports, its own health port: it waits for the database lock and binds nothing else.
        int standbyHealth = Consortium.FreePort();
        ConsortiaProcess standby = consortium.StartCoordinatorReplica("coordinator-standby", standbyHealth);
        await standby.WaitForLineAsync(l => l.Contains("coordinator standby", StringComparison.Ordinal), Consortium.CommandTimeout, "saying it is the standby", TestContext.Current.CancellationToken);
        using HttpClient http = new();
        using (HttpResponseMessage ready = await http.GetAsync(new Uri($"http://127.0.0.1:{standbyHealth}/readyz"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.Equal("standby\n", await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        }

        using (HttpResponseMessage ready = await http.GetAsync(new Uri($"http://127.0.0.1:{consortium.HealthPort}/readyz"), TestContext.Current.CancellationToken))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        await EnrollAllAsync(consortium);
        string jobId = await consortium.SubmitAsync(s_jobFile);
        await active.WaitForLineAsync(l => l.Contains("round 5 of 15 committed", StringComparison.Ordinal), TimeSpan.FromMinutes(3), "committing round 5", TestContext.Current.CancellationToken);
        Assert.DoesNotContain("round 1 of 15 committed", standby.Output, StringComparison.Ordinal);
        active.Kill(); // SIGKILL: its database session ends, the lock is released
        await active.WaitForExitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        await standby.WaitForLineAsync(l => l.Contains("coordinator ready", StringComparison.Ordinal), Consortium.CommandTimeout, "taking over as the active coordinator", TestContext.Current.CancellationToken);
        using JsonDocument status = await consortium.WaitForJobAsync(jobId, TimeSpan.FromMinutes(5));
        Assert.Contains("coordinator active", standby.Output, StringComparison.Ordinal);
        Assert.Contains("resuming after round", standby.Output, StringComparison.Ordinal);
        await AssertCompletedLikeTheSimulationAsync(status);
    }

    private static string StoreYaml(string connection) => $"store:\n  kind: postgresql\n  connection: \"{connection}\"";

    private static async Task EnrollAllAsync(Consortium consortium)
    {
        foreach (string hospital in s_hospitals)
        {
            await consortium.EnrollAndStartNodeAsync(hospital);
        }
    }

    /// <summary>Completed with rounds 1..15 (no gap, no duplicate) and the uninterrupted simulation's final accuracy.</summary>
    private static async Task AssertCompletedLikeTheSimulationAsync(JsonDocument status)
    {
        JsonElement root = status.RootElement;
        Assert.Equal("completed", root.GetProperty("status").GetString());
        JsonElement[] rounds = [.. root.GetProperty("rounds").EnumerateArray()];
        Assert.Equal(Enumerable.Range(1, 15), rounds.Select(r => r.GetProperty("round").GetInt32()));

        SimulationResult simulated = await FederatedSimulation.RunAsync(JobFile.Load(s_jobFile), null, null, TestContext.Current.CancellationToken);
        double expected = simulated.Final.Mean.Single(m => m.Kind == MetricKind.Accuracy).Value;
        double accuracy = rounds[^1].GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("kind").GetString() == "accuracy").GetProperty("mean").GetDouble();
        Assert.Equal(expected, accuracy, 12);
    }
}
