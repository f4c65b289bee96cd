using System.Text.Json;
using Consortia.Cli.Deployment;
using Consortia.EndToEnd.Tests.Support;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Learning.Metrics;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests;

/// <summary>
/// A consortium of real processes on loopback: provision, a coordinator, four hospitals that enroll with
/// one-time tokens and train the Heart job over gRPC with mutual TLS, secure aggregation and their policies.
/// </summary>
[Collection(EndToEndGroup.Name)]
[Trait("Category", "Slow")]
public sealed class LoopbackDeploymentTests
{
    private static readonly string[] s_hospitals = ["cleveland", "hungarian", "switzerland", "va"];

    [Fact]
    public async Task FourHospitals_EnrollWithTokens_AndTrainTheHeartJob_ToTheSimulationsAccuracy()
    {
        await using Consortium consortium = await Consortium.ProvisionAsync();
        await consortium.StartCoordinatorAsync();
        foreach (string hospital in s_hospitals)
        {
            await consortium.EnrollAndStartNodeAsync(hospital);
        }

        string jobFile = Path.Combine(RepositoryPaths.Root, "examples", "heart-disease", "fedavg-policed.yaml");
        string jobId = await consortium.SubmitAsync(jobFile);
        using JsonDocument status = await consortium.WaitForJobAsync(jobId, TimeSpan.FromMinutes(5));

        SimulationResult simulated = await FederatedSimulation.RunAsync(JobFile.Load(jobFile), null, null, TestContext.Current.CancellationToken);
        double expected = simulated.Final.Mean.Single(m => m.Kind == MetricKind.Accuracy).Value;
        JsonElement root = status.RootElement;
        Assert.Equal("completed", root.GetProperty("status").GetString());
        JsonElement[] rounds = [.. root.GetProperty("rounds").EnumerateArray()];
        Assert.Equal(Enumerable.Range(1, 15), rounds.Select(r => r.GetProperty("round").GetInt32()));
        Assert.All(rounds, r => Assert.Equal(4, r.GetProperty("participants").GetInt32()));
        double accuracy = rounds[^1].GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("kind").GetString() == "accuracy").GetProperty("mean").GetDouble();
        Assert.Equal(expected, accuracy, 12);

        // The coordinator audits itself: its ledger (written by the job runner) agrees with every hospital's on every
        // masked input of every round.
        string coordinatorLedger = Path.Combine(consortium.Home, "ledgers", "coordinator.db");
        foreach (string hospital in s_hospitals)
        {
            string siteLedger = Path.Combine(consortium.Root, "sites", hospital, "state", "ledger.db");
            (int code, string output) = await consortium.RunAsync(["audit", "cross-check", "--coordinator-ledger", coordinatorLedger, "--site-ledger", siteLedger]);
            Assert.True(code == 0, $"cross-check with {hospital}: {output}");
            Assert.Contains("15 update hash", output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task RevokedCertificate_AndReusedToken_AreRefused()
    {
        await using Consortium consortium = await Consortium.ProvisionAsync();
        await consortium.StartCoordinatorAsync();
        ConsortiaProcess cleveland = await consortium.EnrollAndStartNodeAsync("cleveland");

        // Reused token: the second enrollment with the same token is refused and writes no identity.
        string token = await consortium.CreateTokenAsync("hungarian");
        string first = Path.Combine(consortium.Root, "hungarian-1");
        string second = Path.Combine(consortium.Root, "hungarian-2");
        await consortium.RunOkAsync(["node", "enroll", "--coordinator", $"https://127.0.0.1:{consortium.EnrollmentPort}", "--token", token, "--out", first]);
        (int reusedCode, string reusedOutput) = await consortium.RunAsync(["node", "enroll", "--coordinator", $"https://127.0.0.1:{consortium.EnrollmentPort}", "--token", token, "--out", second]);
        Assert.NotEqual(0, reusedCode);
        Assert.Contains("already used", reusedOutput, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(Path.Combine(second, "site.crt.pem")));

        // Revoked certificate: the connected node loses its stream and every new call is refused.
        await consortium.RunOkAsync(["site", "revoke", "cleveland", "--home", consortium.Home]);
        await cleveland.WaitForLineAsync(l => l.Contains("PermissionDenied", StringComparison.Ordinal) || l.Contains("revoked", StringComparison.OrdinalIgnoreCase), TimeSpan.FromSeconds(60), "showing the refusal of its revoked certificate", TestContext.Current.CancellationToken);
        await consortium.Coordinator!.WaitForLineAsync(l => l.Contains("revoked", StringComparison.OrdinalIgnoreCase), TimeSpan.FromSeconds(30), "logging the revoked site's refusal", TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task CoordinatorKilledMidJob_Restarts_AndTheJobCompletes_WithNoGapAndNoDuplicate()
    {
        await using Consortium consortium = await Consortium.ProvisionAsync();
        await consortium.StartCoordinatorAsync();
        foreach (string hospital in s_hospitals)
        {
            await consortium.EnrollAndStartNodeAsync(hospital);
        }

        string jobFile = Path.Combine(RepositoryPaths.Root, "examples", "heart-disease", "fedavg-policed.yaml");
        string jobId = await consortium.SubmitAsync(jobFile);
        await consortium.Coordinator!.WaitForLineAsync(l => l.Contains("round 5 of 15 committed", StringComparison.Ordinal), TimeSpan.FromMinutes(3), "committing round 5", TestContext.Current.CancellationToken);
        consortium.Coordinator.Kill(); // SIGKILL: no shutdown code runs
        await consortium.Coordinator.WaitForExitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        await consortium.StartCoordinatorAsync();
        using JsonDocument status = await consortium.WaitForJobAsync(jobId, TimeSpan.FromMinutes(5));

        JsonElement root = status.RootElement;
        Assert.Equal("completed", root.GetProperty("status").GetString());
        Assert.Equal(Enumerable.Range(1, 15), root.GetProperty("rounds").EnumerateArray().Select(r => r.GetProperty("round").GetInt32()));
        Assert.Contains("resuming after round", consortium.Coordinator.Output, StringComparison.Ordinal);

        // Resumed from its checkpoint, the job ends exactly where an uninterrupted run ends.
        SimulationResult simulated = await FederatedSimulation.RunAsync(JobFile.Load(jobFile), null, null, TestContext.Current.CancellationToken);
        double expected = simulated.Final.Mean.Single(m => m.Kind == MetricKind.Accuracy).Value;
        double accuracy = root.GetProperty("rounds").EnumerateArray().Last().GetProperty("metrics").EnumerateArray().Single(m => m.GetProperty("kind").GetString() == "accuracy").GetProperty("mean").GetDouble();
        Assert.Equal(expected, accuracy, 12);
    }
}

/// <summary>End-to-end tests start many processes: run them one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndGroup
{
    public const string Name = "end-to-end";
}
