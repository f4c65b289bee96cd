using System.CommandLine;
using Consortia.Cli.Demo;
using Consortia.Cli.Deployment;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia demo virtual-consortia [--json] [--out DIR]</c>: two consortia on one coordinator, with real node processes
/// on loopback (see <see cref="VirtualConsortiaDemo"/>). Exit 0 when every check of the summary holds, 1 when one does
/// not, 2 when the demonstration could not run.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        Option<bool> json = new("--json") { Description = "Prints one JSON object: {\"consortia\": [{\"name\", \"members\", \"jobs\": [{\"id\", \"state\", \"participants\", \"final\", …}], \"refusals\": [{\"job\", \"clause\", \"by\", …}]}], \"checks\", \"out\"}." };
        Option<DirectoryInfo> output = new("--out") { Description = "Where each consortium's agreement, DUA (dua.html, dua.md) and compliance report, the ledgers and summary.json go.", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine("out", "virtual-consortia")) };
        Option<DirectoryInfo?> source = new("--source") { Description = "The repository folder holding data/ and examples/; default: this folder or one above it." };
        Option<int> rounds = new("--rounds") { Description = "Rounds per job.", DefaultValueFactory = _ => 5 };
        Option<int> timeout = new("--job-timeout") { Description = "Seconds one job may take.", DefaultValueFactory = _ => 300 };
        Command virtualConsortia = new("virtual-consortia", "One coordinator hosting two consortia (cardiology on the heart-disease data, oncology on TCGA-BRCA, one hospital in both) with a node process per hospital on loopback: a job per consortium at the same time, a hospital joining cardiology for its next job, a job outside the agreement refused by clause, and an agreement altered by one byte refused by every node.")
        {
            json, output, source, rounds, timeout,
        };
        virtualConsortia.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(source), parse.GetRequiredValue(output), parse.GetValue(rounds), parse.GetValue(timeout), parse.GetValue(json),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));
        return new Command("demo", "Demonstrations that run the real product on this machine.") { virtualConsortia };
    }

    private static async Task<int> RunAsync(DirectoryInfo? source, DirectoryInfo output, int rounds, int timeoutSeconds, bool json, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        string? root = source?.FullName ?? FindSource();
        if (root is null || !Directory.Exists(Path.Combine(root, "examples", "virtual-consortia")) || !Directory.Exists(Path.Combine(root, "data", "fed-heart-disease")) || !Directory.Exists(Path.Combine(root, "data", "fed-tcga-brca")))
        {
            await stderr.WriteLineAsync($"error: --source: {(root is null ? "no folder with examples/virtual-consortia and data/ here or above" : $"'{root}' lacks examples/virtual-consortia, data/fed-heart-disease or data/fed-tcga-brca")}; pass --source DIR (the repository).").ConfigureAwait(false);
            return 2;
        }

        if (rounds is < 1 or > 100 || timeoutSeconds < 1)
        {
            await stderr.WriteLineAsync($"error: expected --rounds from 1 to 100 and --job-timeout of at least 1 s, got {rounds} and {timeoutSeconds}").ConfigureAwait(false);
            return 2;
        }

        // Progress goes to standard error, so that --json leaves one JSON document on standard output.
        DemoSummary summary;
        try
        {
            summary = await VirtualConsortiaDemo.RunAsync(root, output.FullName, rounds, TimeSpan.FromSeconds(timeoutSeconds), new SyncProgress(stderr), cancellationToken).ConfigureAwait(false);
        }
        catch (LocalDeploymentException e)
        {
            await stderr.WriteLineAsync($"error: the demonstration failed: {e.Message}").ConfigureAwait(false);
            return 2;
        }

        await stdout.WriteAsync(json ? summary.ToJson() : summary.ToText()).ConfigureAwait(false);
        return summary.AllPassed ? 0 : 1;
    }

    private static string? FindSource()
    {
        for (DirectoryInfo? directory = new(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            if (Directory.Exists(Path.Combine(directory.FullName, "examples", "virtual-consortia")))
            {
                return directory.FullName;
            }
        }

        return null;
    }

    /// <summary>Writes each line at once, in order (<see cref="Progress{T}"/> would post to the thread pool).</summary>
    private sealed class SyncProgress(TextWriter writer) : IProgress<string>
    {
        public void Report(string value) => writer.WriteLine(value);
    }
}
