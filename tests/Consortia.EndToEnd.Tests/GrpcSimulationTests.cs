using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Consortia.Cli;
using Consortia.Cli.Deployment;
using Consortia.EndToEnd.Tests.Deployment;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests;

/// <summary>
/// <c>consortia simulate JOB --transport grpc</c>: one command provisions a throw-away consortium, runs the coordinator
/// and a node per site as separate processes on loopback, and gives the in-process simulation's result.
/// </summary>
[Collection(EndToEndGroup.Name)]
[Trait("Category", "Slow")]
public sealed class GrpcSimulationTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(8);

    [Theory]
    [InlineData("fedavg.yaml")]
    [InlineData("fedavg-policed.yaml")]
    public async Task SimulateOverGrpc_GivesTheInProcessAccuracy_LedgersThatCrossCheck_AndLeavesNoProcess(string example)
    {
        using TempDirectory temp = new();
        string job = RepositoryPaths.Combine("examples", "heart-disease", example);
        string outDir = temp.File("out");
        string tmp = Directory.CreateDirectory(temp.File("tmp")).FullName;

        ProcessResult grpc = await RunConsortiaAsync(tmp, "simulate", job, "--transport", "grpc", "--json", "--out", outDir);
        (int inProcessExit, string inProcessJson, string inProcessError) = await InvokeAsync("simulate", job, "--json");

        Assert.True(grpc.ExitCode == 0, $"exit {grpc.ExitCode}\n{grpc.Error}");
        Assert.True(inProcessExit == 0, inProcessError);
        using JsonDocument deployed = JsonDocument.Parse(grpc.Output);
        using JsonDocument simulated = JsonDocument.Parse(inProcessJson);
        double expected = simulated.RootElement.GetProperty("final").GetProperty("mean").GetProperty("accuracy").GetDouble();
        double actual = deployed.RootElement.GetProperty("final").GetProperty("mean").GetProperty("accuracy").GetDouble();
        Assert.True(Math.Abs(expected - actual) <= 1e-9, $"final.mean.accuracy: in process {expected:R}, over gRPC {actual:R}");
        Assert.Equal(PropertyNames(simulated.RootElement), PropertyNames(deployed.RootElement));
        Assert.Equal(simulated.RootElement.GetProperty("rounds").GetArrayLength(), deployed.RootElement.GetProperty("rounds").GetArrayLength());
        Assert.True(File.Exists(Path.Combine(outDir, "model.json")));
        Assert.True(File.Exists(Path.Combine(outDir, "summary.md")));

        // No process of the throw-away consortium is left, and its folder is gone.
        Assert.Empty(ProcessesMentioning(tmp));
        Assert.Empty(Directory.GetFileSystemEntries(tmp, "consortia-grpc-*"));

        // Every site's ledger verifies under its public key and agrees with the coordinator's ledger.
        string ledgers = Path.Combine(outDir, "ledgers");
        string[] sites = [.. deployed.RootElement.GetProperty("final").GetProperty("sites").EnumerateArray().Select(s => s.GetProperty("site").GetString()!)];
        Assert.Equal(4, sites.Length);
        foreach (string site in sites)
        {
            (int verify, string verifyOut, string verifyError) = await InvokeAsync("audit", "verify", "--ledger", Path.Combine(ledgers, site + ".db"), "--public-key", Path.Combine(ledgers, site + ".pub.pem"));
            Assert.True(verify == 0, $"audit verify {site}: {verifyOut}{verifyError}");
        }

        Assert.True(File.Exists(Path.Combine(ledgers, "coordinator.db")), $"no coordinator ledger in {ledgers}: the deployed coordinator writes none");
        foreach (string site in sites)
        {
            (int check, string checkOut, string checkError) = await InvokeAsync("audit", "cross-check", "--coordinator-ledger", Path.Combine(ledgers, "coordinator.db"), "--site-ledger", Path.Combine(ledgers, site + ".db"));
            Assert.True(check == 0, $"audit cross-check {site}: {checkOut}{checkError}");
        }
    }

    [Fact]
    public async Task SimulateOverGrpc_EverySiteRefuses_FailsNamingTheRefusal_AndLeavesNoProcess()
    {
        using TempDirectory temp = new();
        string tmp = Directory.CreateDirectory(temp.File("tmp")).FullName;

        // The policed example, with a policy the hospitals' own rules do not meet (it requires client-level DP).
        string job = temp.File("refused.yaml");
        string text = await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "heart-disease", "fedavg-policed.yaml"), TestContext.Current.CancellationToken);
        string strict = RepositoryPaths.Combine("examples", "policies", "hospital-strict.yaml");
        text = text
            .Replace("default: ../policies/heart-consortium-site.yaml", $"default: {strict}", StringComparison.Ordinal)
            .Replace("path: ../../data/fed-heart-disease", $"path: {RepositoryPaths.Combine("data", "fed-heart-disease")}", StringComparison.Ordinal);
        Assert.Contains(strict, text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(job, text, TestContext.Current.CancellationToken);

        ProcessResult result = await RunConsortiaAsync(tmp, "simulate", job, "--transport", "grpc", "--json", "--out", temp.File("out"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("over gRPC", result.Error, StringComparison.Ordinal);
        Assert.Contains("refused after 0/", result.Error, StringComparison.Ordinal); // every site refused: the job ends refused
        Assert.Contains("(dp-required)", result.Error, StringComparison.Ordinal); // each site named with its rule
        Assert.Empty(result.Output);
        Assert.Empty(ProcessesMentioning(tmp));
        Assert.Empty(Directory.GetFileSystemEntries(tmp, "consortia-grpc-*"));
    }

    [Fact]
    public async Task SimulateOverGrpc_InterruptedMidJob_StopsEveryProcess()
    {
        using TempDirectory temp = new();
        string tmp = Directory.CreateDirectory(temp.File("tmp")).FullName;
        // Many rounds, so that the job is still running when the interrupt arrives however fast the machine is.
        string job = temp.File("long.yaml");
        string text = (await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "heart-disease", "fedavg-policed.yaml"), TestContext.Current.CancellationToken))
            .Replace("rounds: 15 ", "rounds: 5000 ", StringComparison.Ordinal)
            .Replace("path: ../../data/fed-heart-disease", $"path: {RepositoryPaths.Combine("data", "fed-heart-disease")}", StringComparison.Ordinal)
            .Replace("default: ../policies/heart-consortium-site.yaml", $"default: {RepositoryPaths.Combine("examples", "policies", "heart-consortium-site.yaml")}", StringComparison.Ordinal);
        Assert.Contains("rounds: 5000", text, StringComparison.Ordinal);
        await File.WriteAllTextAsync(job, text, TestContext.Current.CancellationToken);
        await using ConsortiaProcess simulate = ConsortiaProcess.Start(
            "simulate", ["simulate", job, "--transport", "grpc"], temp.Path, environment: new Dictionary<string, string> { ["TMPDIR"] = tmp + "/" });
        await simulate.WaitForLineAsync(l => l.StartsWith("round 2/", StringComparison.Ordinal), s_timeout, "printing round 2", TestContext.Current.CancellationToken);
        Assert.True(ProcessesMentioning(tmp).Count >= 5, "the coordinator and four nodes run:\n" + string.Join('\n', ProcessesMentioning(tmp)));

        // SIGINT to the command alone (as Ctrl+C, but its children do not get it): it must stop them itself.
        using (Process interrupt = Process.Start("kill", ["-INT", simulate.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        int exit = await simulate.WaitForExitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.NotEqual(0, exit);
        Assert.Empty(ProcessesMentioning(tmp));
    }

    /// <summary>Runs the built <c>consortia</c> as its own process, with its temporary folder in <paramref name="tmp"/>.</summary>
    private static Task<ProcessResult> RunConsortiaAsync(string tmp, params string[] args) =>
        ChildProcess.RunAsync(
            "dotnet",
            [Path.Combine(AppContext.BaseDirectory, "consortia.dll"), .. args],
            s_timeout,
            new Dictionary<string, string> { ["TMPDIR"] = tmp + "/", ["DOTNET_NOLOGO"] = "1" },
            TestContext.Current.CancellationToken);

    /// <summary>Runs the CLI's root command in this process.</summary>
    private static async Task<(int Exit, string Out, string Err)> InvokeAsync(params string[] args)
    {
        using StringWriter stdout = new();
        using StringWriter stderr = new();
        int exit = await ConsortiaCommand.Create().Parse(args).InvokeAsync(
            new InvocationConfiguration { Output = stdout, Error = stderr },
            TestContext.Current.CancellationToken);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    /// <summary>The live processes whose command line mentions <paramref name="text"/> (Linux /proc).</summary>
    private static List<string> ProcessesMentioning(string text)
    {
        List<string> found = [];
        foreach (string folder in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                string commandLine = File.ReadAllText(Path.Combine(folder, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(text, StringComparison.Ordinal))
                {
                    found.Add($"{Path.GetFileName(folder)}: {commandLine}");
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Not a process folder, or the process ended while being read.
            }
        }

        return found;
    }

    private static string[] PropertyNames(JsonElement element) => [.. element.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)];
}
