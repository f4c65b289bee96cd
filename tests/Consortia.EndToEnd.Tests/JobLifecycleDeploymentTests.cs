using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Consortia.EndToEnd.Tests.Support;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests;

/// <summary>
/// The job lifecycle on a real coordinator (issue 18): a job waits for its sites with a visible reason and bounded
/// logging, fails when <c>job_start_timeout</c> passes, can be cancelled while it waits without hurting the coordinator,
/// and ends <c>refused</c> (non-zero exit from <c>job status --wait</c>) when every site refuses it.
/// </summary>
[Collection(EndToEndGroup.Name)]
[Trait("Category", "Slow")]
public sealed class JobLifecycleDeploymentTests
{
    private static readonly string s_jobFile = Path.Combine(RepositoryPaths.Root, "examples", "heart-disease", "fedavg-policed.yaml");

    [Fact]
    public async Task JobWithNoSites_SaysWhyItWaits_LogsALittle_AndFailsAtTheStartTimeout()
    {
        await using Consortium consortium = await Consortium.ProvisionAsync();
        consortium.JobStartTimeout = "30s"; // long enough to see it wait on a busy machine, short enough for a test
        await consortium.StartCoordinatorAsync();
        using Process coordinator = Process.GetProcessById(consortium.Coordinator!.Id);
        TimeSpan cpuBefore = coordinator.TotalProcessorTime;
        Stopwatch wall = Stopwatch.StartNew();

        string jobId = await consortium.SubmitAsync(s_jobFile);
        await WaitForStatusAsync(consortium, jobId, s => s.Contains("waiting: 0 sites enrolled", StringComparison.Ordinal));
        (int code, string output) = await StatusAsync(consortium, jobId, "--wait", "--timeout", "60");

        Assert.True(code == 1, $"job status --wait should exit 1 for a failed job:\n{output}");
        using JsonDocument status = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        Assert.Equal("failed", status.RootElement.GetProperty("status").GetString());
        Assert.Equal("not started within job_start_timeout (30s): 0 sites enrolled", status.RootElement.GetProperty("message").GetString());

        // Bounded: a handful of lines about the job in the whole wait (the bug wrote ~180 000 lines a second), and the
        // coordinator idle while waiting (far below one core).
        coordinator.Refresh();
        double cpuShare = (coordinator.TotalProcessorTime - cpuBefore) / wall.Elapsed;
        string[] jobLines = [.. consortium.Coordinator.Output.Split('\n').Where(l => l.Contains(jobId, StringComparison.Ordinal))];
        Assert.True(jobLines.Length <= 6, $"{jobLines.Length} log lines about the job:\n{string.Join('\n', jobLines)}");
        Assert.True(cpuShare < 0.5, $"the coordinator used {cpuShare:P0} of a core while the job waited");
        Assert.False(consortium.Coordinator.HasExited);
    }

    [Fact]
    public async Task CancelWhileWaitingForAnOfflineSite_CancelsOnce_AndTheCoordinatorStaysUp()
    {
        await using Consortium consortium = await Consortium.ProvisionAsync();
        consortium.JobStartTimeout = "5m"; // the cancellation, not the timeout, must end the job
        await consortium.StartCoordinatorAsync();
        await consortium.EnrollAndStartNodeAsync("cleveland");
        await consortium.EnrollAndStartNodeAsync("hungarian");
        // A third site enrolls but its node never starts: the job (3 participants needed) waits for it.
        await consortium.RunOkAsync(["node", "enroll", "--coordinator", $"https://127.0.0.1:{consortium.EnrollmentPort}", "--token", await consortium.CreateTokenAsync("switzerland"), "--out", Path.Combine(consortium.Root, "switzerland-identity")]);

        string jobId = await consortium.SubmitAsync(s_jobFile);
        string waiting = await WaitForStatusAsync(consortium, jobId, s => s.Contains("waiting for sites switzerland (offline)", StringComparison.Ordinal));
        Assert.Contains("queued", waiting, StringComparison.Ordinal);
        Assert.Contains("2 of 3 needed site(s) ready", waiting, StringComparison.Ordinal);

        (int sitesCode, string sites) = await consortium.RunAsync(["site", "list", "--coordinator", $"https://127.0.0.1:{consortium.AdminPort}", "--home", consortium.Home, "--timeout", "120"]);
        Assert.True(sitesCode == 0, sites);
        Assert.Matches(@"(?m)^cleveland\s+connected\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+\S+\s+2\s", sites);
        Assert.Matches(@"(?m)^switzerland\s+offline\s", sites);

        (int cancelCode, string cancelled) = await consortium.RunAsync(["job", "cancel", jobId, "--coordinator", $"https://127.0.0.1:{consortium.AdminPort}", "--home", consortium.Home]);
        Assert.True(cancelCode == 0, cancelled);
        Assert.Contains(": cancelled", cancelled, StringComparison.Ordinal);
        (int againCode, string again) = await consortium.RunAsync(["job", "cancel", jobId, "--coordinator", $"https://127.0.0.1:{consortium.AdminPort}", "--home", consortium.Home]);
        Assert.True(againCode == 0, $"cancelling twice is not an error:\n{again}");

        (int code, string output) = await StatusAsync(consortium, jobId, "--wait", "--timeout", "60");
        Assert.Equal(1, code);
        Assert.Contains("\"status\":\"cancelled\"", output, StringComparison.Ordinal);

        // The coordinator is up and healthy after the loop saw the cancellation too.
        await consortium.Coordinator!.WaitForLineAsync(l => l.Contains($"job {jobId} cancelled", StringComparison.Ordinal), Consortium.CommandTimeout, "the loop's cancellation", TestContext.Current.CancellationToken);
        using HttpClient http = new();
        using HttpResponseMessage health = await http.GetAsync(new Uri($"http://127.0.0.1:{consortium.HealthPort}/healthz"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.False(consortium.Coordinator.HasExited, consortium.Logs());
        Assert.DoesNotContain("JobStateException", consortium.Coordinator.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JobEverySiteRefuses_EndsRefused_WithEachSitesRule_AndExitsNonZero()
    {
        await using Consortium consortium = await Consortium.ProvisionAsync();
        await consortium.StartCoordinatorAsync();
        string policy = Path.Combine(consortium.Root, "mlp-only.yaml");
        string shipped = await File.ReadAllTextAsync(Path.Combine(RepositoryPaths.Root, "examples", "policies", "heart-consortium-site.yaml"), TestContext.Current.CancellationToken);
        await File.WriteAllTextAsync(policy, shipped.Replace("models: [logistic, mlp]", "models: [mlp]", StringComparison.Ordinal), TestContext.Current.CancellationToken);
        string[] hospitals = ["cleveland", "hungarian", "va"];
        foreach (string hospital in hospitals)
        {
            await consortium.EnrollAndStartNodeAsync(hospital, policy: policy);
        }

        string jobId = await consortium.SubmitAsync(s_jobFile);
        (int code, string output) = await StatusAsync(consortium, jobId, "--wait", "--timeout", "120");

        Assert.True(code == 1, $"job status --wait should exit 1 for a refused job:\n{output}\n{consortium.Coordinator!.Output}");
        using JsonDocument status = JsonDocument.Parse(output.Trim().Split('\n')[^1]);
        Assert.Equal("refused", status.RootElement.GetProperty("status").GetString());
        string message = status.RootElement.GetProperty("message").GetString()!;
        Assert.StartsWith("every site refused round 1: ", message, StringComparison.Ordinal);
        Assert.All(hospitals, h => Assert.Contains($"{h} (model)", message, StringComparison.Ordinal));
        Assert.Equal(0, status.RootElement.GetProperty("roundsCompleted").GetInt32());

        (int cancelCode, string cancelled) = await consortium.RunAsync(["job", "cancel", jobId, "--coordinator", $"https://127.0.0.1:{consortium.AdminPort}", "--home", consortium.Home]);
        Assert.Equal(1, cancelCode);
        Assert.Contains($"job {jobId} has already ended (refused); there is nothing to cancel.", cancelled, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception was thrown by handler", cancelled, StringComparison.Ordinal);

        // The model that exists (the initial one) can be taken out, with its run id and hash.
        string modelFile = Path.Combine(consortium.Root, "model.json");
        (int modelCode, string model) = await consortium.RunAsync(["job", "model", jobId, "--out", modelFile, "--coordinator", $"https://127.0.0.1:{consortium.AdminPort}", "--home", consortium.Home]);
        Assert.True(modelCode == 0, model);
        using (JsonDocument written = JsonDocument.Parse(await File.ReadAllTextAsync(modelFile, TestContext.Current.CancellationToken)))
        {
            JsonElement root = written.RootElement;
            Assert.Equal("consortia-model/1", root.GetProperty("format").GetString());
            Assert.Equal(jobId, root.GetProperty("runId").GetString());
            Assert.Equal("heart-disease-policed", root.GetProperty("job").GetString());
            Assert.Equal(0, root.GetProperty("round").GetInt32());
            int parameters = root.GetProperty("layout").EnumerateArray().Sum(s => s.GetProperty("shape").EnumerateArray().Aggregate(1, (a, d) => a * d.GetInt32()));
            Assert.Equal(parameters, root.GetProperty("values").GetArrayLength());
            Assert.Matches("^[0-9a-f]{64}$", root.GetProperty("sha256").GetString()!);
        }

        // Each site's ledger records its refusal under this run's id; the viewer shows it and the ledger verifies.
        string ledger = Path.Combine(consortium.Root, "sites", "cleveland", "state", "ledger.db");
        (int showCode, string shown) = await consortium.RunAsync(["audit", "show", "--ledger", ledger]);
        Assert.True(showCode == 0, shown);
        Assert.Contains("verifies:  valid", shown, StringComparison.Ordinal);
        Assert.Contains($"job heart-disease-policed run {jobId}: REFUSED", shown, StringComparison.Ordinal);
        (int jsonCode, string json) = await consortium.RunAsync(["audit", "show", "--ledger", ledger, "--json"]);
        Assert.Equal(0, jsonCode);
        using JsonDocument shownJson = JsonDocument.Parse(json.Trim().Split('\n')[^1]);
        Assert.True(shownJson.RootElement.GetProperty("valid").GetBoolean());
        Assert.Contains(shownJson.RootElement.GetProperty("entries").EnumerateArray(), e =>
            e.GetProperty("kind").GetString() == "job-received" && e.GetProperty("event").GetProperty("run_id").GetString() == jobId);
    }

    private static Task<(int Code, string Output)> StatusAsync(Consortium consortium, string jobId, params string[] extra) =>
        consortium.RunAsync(["job", "status", jobId, "--json", .. extra, "--coordinator", $"https://127.0.0.1:{consortium.AdminPort}", "--home", consortium.Home], timeout: TimeSpan.FromMinutes(3));

    /// <summary>Polls <c>job status</c> (plain text) until it matches; fails after a minute.</summary>
    private static async Task<string> WaitForStatusAsync(Consortium consortium, string jobId, Func<string, bool> match)
    {
        using CancellationTokenSource limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(TimeSpan.FromMinutes(1));
        string last = "";
        while (!limit.IsCancellationRequested)
        {
            (int code, string output) = await consortium.RunAsync(["job", "status", jobId, "--coordinator", $"https://127.0.0.1:{consortium.AdminPort}", "--home", consortium.Home]);
            last = output;
            if (code == 0 && match(output))
            {
                return output;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200), TimeProvider.System, limit.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        }

        Assert.Fail($"job status never matched; last:\n{last}\n--- coordinator ---\n{consortium.Coordinator?.Output}");
        return last;
    }
}
