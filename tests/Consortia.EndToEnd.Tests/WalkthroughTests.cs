using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Consortia.Cli.Deployment;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests;

/// <summary>
/// The walkthrough of docs/deployment.md ("A consortium on one machine") cannot rot: its shell blocks are taken from the
/// document and run as written, in order, in one <c>bash</c> session from a temporary folder outside the repository —
/// installing the tool from a package, provisioning, three hospitals, a job, the ledgers, a clean stop.
/// </summary>
[Collection(EndToEndGroup.Name)]
[Trait("Category", "Slow")]
public sealed partial class WalkthroughTests
{
    private static readonly string s_doc = Path.Combine(RepositoryPaths.Root, "docs", "deployment.md");

    [Fact]
    public async Task DeploymentWalkthrough_RunsAsWritten_OutsideTheSourceTree_AndStopsEverything()
    {
        string script = Walkthrough(await File.ReadAllTextAsync(s_doc, TestContext.Current.CancellationToken));
        Assert.DoesNotContain("jobs -p", script, StringComparison.Ordinal);
        Assert.DoesNotContain("../../data", script, StringComparison.Ordinal);
        Assert.Contains("--wait --timeout", script, StringComparison.Ordinal);

        // The one substitution: pack the build these tests run against rather than build the CLI again in Release.
        string configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
        const string Pack = "-c Release -o packages";
        Assert.Contains(Pack, script, StringComparison.Ordinal);
        script = "set -euo pipefail\n" + script.Replace(Pack, $"-c {configuration} --no-build -o packages", StringComparison.Ordinal);

        using TempDirectory temp = new();
        string tour = Path.Combine(temp.Path, "tour");
        string scriptFile = temp.File("walkthrough.sh");
        await File.WriteAllTextAsync(scriptFile, script, TestContext.Current.CancellationToken);
        int[] ports = LocalConsortium.FreePorts(4);
        ProcessStartInfo start = new("bash", [scriptFile])
        {
            WorkingDirectory = temp.Path, // not the repository: the walkthrough must not depend on it but through CONSORTIA_SRC
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["CONSORTIA_SRC"] = RepositoryPaths.Root;
        start.Environment["CONSORTIA_DATA"] = Path.Combine(RepositoryPaths.Root, "data");
        start.Environment["TOUR"] = tour;
        start.Environment["NUGET_PACKAGES"] = Path.Combine(temp.Path, "nuget"); // never a cached package of an older build
        start.Environment["SITES_PORT"] = ports[0].ToString(CultureInfo.InvariantCulture);
        start.Environment["ENROLL_PORT"] = ports[1].ToString(CultureInfo.InvariantCulture);
        start.Environment["ADMIN_PORT"] = ports[2].ToString(CultureInfo.InvariantCulture);
        start.Environment["HEALTH_PORT"] = ports[3].ToString(CultureInfo.InvariantCulture);
        start.Environment.Remove("CONSORTIA_HOME");

        using Process bash = Process.Start(start)!;
        Task<string> stdout = bash.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> stderr = bash.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await bash.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(15), TestContext.Current.CancellationToken);
            string output = await stdout + await stderr;
            Assert.True(bash.ExitCode == 0, $"the walkthrough failed (exit {bash.ExitCode}):\n{output}");
            Assert.Contains("round 15/15: 3 participants", output, StringComparison.Ordinal);
            foreach (string site in new[] { "cleveland", "hungarian", "switzerland" })
            {
                Assert.Contains($"CONSISTENT: site '{site}'", output, StringComparison.Ordinal);
                Assert.Contains($"VALID: {tour}/{site}/state/ledger.db", output, StringComparison.Ordinal);
            }

            Assert.True(File.Exists(Path.Combine(tour, "model.json")));
            Assert.Empty(Directory.GetFiles(tour, "*.pid", SearchOption.AllDirectories)); // every process stopped and its pid file removed
        }
        finally
        {
            KillLeftovers(bash, tour);
        }
    }

    /// <summary>The walkthrough's <c>bash</c> blocks, in order.</summary>
    private static string Walkthrough(string doc)
    {
        int start = doc.IndexOf("## A consortium on one machine", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/deployment.md has no section \"## A consortium on one machine\"");
        int end = doc.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
        string section = end < 0 ? doc[start..] : doc[start..end];
        string[] blocks = [.. BashBlock().Matches(section).Select(m => m.Groups[1].Value)];
        Assert.True(blocks.Length >= 6, $"expected the walkthrough's shell blocks, found {blocks.Length}");
        return string.Join("\n", blocks);
    }

    /// <summary>A failed run leaves processes: kill the script and every process whose pid file remains.</summary>
    private static void KillLeftovers(Process bash, string tour)
    {
        if (!bash.HasExited)
        {
            bash.Kill(entireProcessTree: true);
        }

        if (!Directory.Exists(tour))
        {
            return;
        }

        foreach (string pidFile in Directory.GetFiles(tour, "*.pid", SearchOption.AllDirectories))
        {
            if (int.TryParse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture, out int pid))
            {
                try
                {
                    using Process left = Process.GetProcessById(pid);
                    left.Kill(entireProcessTree: true);
                }
                catch (ArgumentException)
                {
                    // Already gone.
                }
                catch (InvalidOperationException)
                {
                    // Ended between the look-up and the kill.
                }
            }
        }
    }

    [GeneratedRegex(@"```bash\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlock();
}
