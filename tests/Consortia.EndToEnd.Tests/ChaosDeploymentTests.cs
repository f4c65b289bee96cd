using System.Text.Json;
using Consortia.Cli.Deployment;
using Consortia.EndToEnd.Tests.Support;
using Consortia.Federation.Jobs.Store;
using Consortia.Network.Coordinator;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests;

/// <summary>
/// Chaos over real processes (issue 18): while a job runs on four hospital nodes, random nodes and the coordinator are
/// killed with SIGKILL and restarted on the same home and state. The job still completes, the coordinator's history
/// holds every round exactly once, and every ledger verifies and cross-checks with the coordinator's.
/// </summary>
[Collection(EndToEndGroup.Name)]
[Trait("Category", "Slow")]
public sealed class ChaosDeploymentTests
{
    private const int Rounds = 24;
    private const int Seed = 20261207; // the victims and the rounds they die at; a failure names the seed to replay
    private static readonly string[] s_hospitals = ["cleveland", "hungarian", "switzerland", "va"];
    private static readonly string s_policy = Path.Combine(RepositoryPaths.Root, "examples", "policies", "heart-disease-research.yaml");
    private static readonly TimeSpan s_eventTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task NodesAndCoordinatorKilledAndRestartedDuringAJob_TheJobCompletes_EveryRoundOnce_AndEveryLedgerVerifiesAndCrossChecks()
    {
        CancellationToken cancel = TestContext.Current.CancellationToken;
        await using Consortium consortium = await Consortium.ProvisionAsync();
        await consortium.StartCoordinatorAsync(roundTimeout: "20s"); // a killed node's round ends by this at the latest
        foreach (string hospital in s_hospitals)
        {
            await consortium.EnrollAndStartNodeAsync(hospital, policy: s_policy);
        }

        // The plain FedAvg heart job (any hospital may be missing from a round), long enough to be hit several times.
        string job = Path.Combine(consortium.Root, "chaos-job.yaml");
        string shipped = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "examples", "heart-disease", "fedavg.yaml"), cancel);
        await File.WriteAllTextAsync(job, shipped
            .Replace("../../data/fed-heart-disease", Path.Combine(RepositoryPaths.Root, "data", "fed-heart-disease"), StringComparison.Ordinal)
            .Replace("../policies/heart-disease-research.yaml", s_policy, StringComparison.Ordinal)
            .Replace("rounds: 15 ", $"rounds: {Rounds} ", StringComparison.Ordinal)
            .Replace("local_steps: 100", "local_steps: 20", StringComparison.Ordinal), cancel);
        string jobId = await consortium.SubmitAsync(job);

        // Six blows, each once the job has committed a further few rounds: two coordinator kills, four random nodes.
        Random random = new(Seed);
        string[] victims = [.. new[] { "coordinator", "coordinator" }.Concat(Enumerable.Range(0, 4).Select(_ => s_hospitals[random.Next(s_hospitals.Length)])).OrderBy(_ => random.Next())];
        List<string> done = [];
        int atRound = 0;
        foreach (string victim in victims)
        {
            atRound += random.Next(2, 4);
            await WaitForRoundAsync(consortium, jobId, atRound, $"seed {Seed}, after {string.Join(", ", done)}");
            if (victim == "coordinator")
            {
                ConsortiaProcess coordinator = consortium.Coordinator!;
                coordinator.Kill(); // SIGKILL: no shutdown code runs
                await coordinator.WaitForExitAsync(TimeSpan.FromSeconds(30), cancel);
                await consortium.StartCoordinatorAsync(roundTimeout: "20s"); // same home, same configuration
            }
            else
            {
                ConsortiaProcess node = consortium.Node(victim);
                node.Kill();
                await node.WaitForExitAsync(TimeSpan.FromSeconds(30), cancel);
                await consortium.StartNodeAsync(victim, policy: s_policy); // same identity and state folder
            }

            done.Add($"{victim} at round {atRound}");
        }

        using JsonDocument status = await consortium.WaitForJobAsync(jobId, TimeSpan.FromMinutes(10));
        JsonElement root = status.RootElement;
        Assert.True(root.GetProperty("status").GetString() == "completed", $"{root}\n(seed {Seed}: {string.Join(", ", done)})\n{consortium.Logs()}");
        Assert.Equal(Enumerable.Range(1, Rounds), root.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("round").GetInt32()));
        Assert.Contains("resuming after round", consortium.Coordinator!.Output, StringComparison.Ordinal);

        // The store agrees with the API: rounds 1..R, each once (read after the coordinator stops, as an auditor would).
        await consortium.StopAsync();
        using (SqliteJobStore store = SqliteJobStore.Open(new SqliteJobStoreOptions { Path = Path.Combine(consortium.Home, "coordinator.db") }, TimeProvider.System))
        {
            Assert.Equal(Enumerable.Range(1, Rounds), store.GetRounds(jobId).Select(r => r.Round.Value));
        }

        string coordinatorLedger = Path.Combine(consortium.Home, "ledgers", "coordinator.db");
        await AssertOkAsync(consortium, ["audit", "verify", "--ledger", coordinatorLedger, "--public-key", Path.Combine(consortium.Home, "ledger.pub.pem")]);
        foreach (string hospital in s_hospitals)
        {
            string state = Path.Combine(consortium.Root, "sites", hospital, "state");
            await AssertOkAsync(consortium, ["audit", "verify", "--ledger", Path.Combine(state, "ledger.db"), "--public-key", Path.Combine(state, "ledger.pub.pem")]);
            await AssertOkAsync(consortium, ["audit", "cross-check", "--coordinator-ledger", coordinatorLedger, "--site-ledger", Path.Combine(state, "ledger.db")]);
        }

        async Task AssertOkAsync(Consortium c, string[] args)
        {
            (int code, string output) = await c.RunAsync(args);
            Assert.True(code == 0, $"`consortia {string.Join(' ', args)}` exited {code} (seed {Seed}: {string.Join(", ", done)}):\n{output}");
        }
    }

    /// <summary>Polls the admin API until the job has committed <paramref name="round"/> rounds; fails after a few minutes naming the job's state.</summary>
    private static async Task WaitForRoundAsync(Consortium consortium, string jobId, int round, string context)
    {
        using JobAdminClient admin = consortium.ConnectAdmin();
        using CancellationTokenSource limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(s_eventTimeout);
        JobOverview? last = null;
        try
        {
            while (true)
            {
                last = await admin.GetAsync(jobId, limit.Token);
                Assert.True(last.IsActive, $"the job ended ({last.Status}: {last.Message}) before round {round} ({context})\n{consortium.Logs()}");
                if (last.RoundsCompleted >= round)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, limit.Token);
            }
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            Assert.Fail($"round {round} not committed within {s_eventTimeout.TotalMinutes} min ({context}); last: {last}\n{consortium.Logs()}");
        }
    }
}
