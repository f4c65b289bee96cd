using Consortia.Governance.Audit;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Commands;

/// <summary>
/// <c>simulate --out DIR</c> checkpoints into DIR; <c>simulate --resume DIR</c> after an interruption gives the
/// uninterrupted result; the virtual clock makes a job and seed give the same ledgers, signatures aside.
/// </summary>
public sealed class SimulateResumeTests
{
    private static readonly string[] s_writers = ["coordinator", "cleveland", "hungarian", "switzerland", "va"];

    private static string Example(string file) => RepositoryPaths.Combine("examples", "heart-disease", file);

    [Theory]
    [InlineData("fedavg.yaml", 1)]
    [InlineData("fedavg.yaml", 7)]
    [InlineData("fedavg-secagg.yaml", 4)]
    [InlineData("scaffold.yaml", 6)] // the sites' control variates continue from their saved state
    [InlineData("dp-sgd.yaml", 5)] // seeded noise per round; each site's ε covers the whole job, not only the resumed rounds
    public async Task Interrupted_ThenResumed_GivesTheUninterruptedModelMetricsAndCoordinatorLedger(string example, int stopAfter)
    {
        using TempDirectory temp = new();
        string whole = temp.File("whole"), cut = temp.File("cut");

        (int exitWhole, string jsonWhole, string errWhole) = await CliRunner.RunAsync("simulate", Example(example), "--seed", "5", "--json", "--out", whole);
        (int exitCut, _, string errCut) = await CliRunner.RunAsync("simulate", Example(example), "--seed", "5", "--json", "--out", cut, "--stop-after-round", stopAfter.ToString(System.Globalization.CultureInfo.InvariantCulture));
        (int exitResumed, string jsonResumed, string errResumed) = await CliRunner.RunAsync("simulate", "--resume", cut, "--json");

        Assert.True(exitWhole == 0, errWhole);
        Assert.True(exitCut == 3, errCut);
        Assert.Contains("--resume", errCut, StringComparison.Ordinal);
        Assert.True(exitResumed == 0, errResumed);
        Assert.Equal(jsonWhole, jsonResumed); // every round's report, the final metrics, the baselines
        Assert.Equal(
            await File.ReadAllTextAsync(Path.Combine(whole, "model.json"), TestContext.Current.CancellationToken),
            await File.ReadAllTextAsync(Path.Combine(cut, "model.json"), TestContext.Current.CancellationToken));

        // The coordinator's ledger: job-received once, rounds 1..15 once each, the release; the same as uninterrupted
        // (under secure aggregation the masked inputs' hashes differ by design: masks come from the sites' own CSPRNG).
        bool masked = example.Contains("secagg", StringComparison.Ordinal);
        Assert.Equal(Contents(Path.Combine(whole, "ledgers", "coordinator.db"), masked), Contents(Path.Combine(cut, "ledgers", "coordinator.db"), masked));
        foreach (string site in s_writers.Skip(1))
        {
            (int cross, string crossed, string crossError) = await CliRunner.RunAsync("audit", "cross-check", "--coordinator-ledger", Path.Combine(cut, "ledgers", "coordinator.db"), "--site-ledger", Path.Combine(cut, "ledgers", site + ".db"));
            Assert.True(cross == 0, crossed + crossError);
        }
    }

    [Theory]
    [InlineData("fedavg.yaml", false)]
    [InlineData("dp-sgd.yaml", false)]
    [InlineData("fedavg-policed.yaml", true)]
    public async Task SameJobAndSeed_TwoOutFolders_SameLedgerEntriesOfEveryWriter_SignaturesAside(string example, bool masked)
    {
        using TempDirectory temp = new();

        (int exitA, _, string errA) = await CliRunner.RunAsync("simulate", Example(example), "--json", "--out", temp.File("a"));
        (int exitB, _, string errB) = await CliRunner.RunAsync("simulate", Example(example), "--json", "--out", temp.File("b"));

        Assert.True(exitA == 0, errA);
        Assert.True(exitB == 0, errB);
        foreach (string writer in s_writers)
        {
            IReadOnlyList<string> a = Contents(Path.Combine(temp.File("a"), "ledgers", writer + ".db"), masked);
            Assert.NotEmpty(a);
            Assert.Equal(a, Contents(Path.Combine(temp.File("b"), "ledgers", writer + ".db"), masked));
        }
    }

    [Fact]
    public async Task Resume_WithoutAnInterruptedRun_ExitsNonZeroNamingTheFolder()
    {
        using TempDirectory temp = new();
        string done = temp.File("done");
        (int first, _, string firstError) = await CliRunner.RunAsync("simulate", Example("fedavg.yaml"), "--json", "--out", done);

        (int completed, _, string completedError) = await CliRunner.RunAsync("simulate", "--resume", done, "--json");
        (int empty, _, string emptyError) = await CliRunner.RunAsync("simulate", "--resume", temp.File("nothing"), "--json");
        (int both, _, _) = await CliRunner.RunAsync("simulate", Example("fedavg.yaml"), "--resume", done);

        Assert.True(first == 0, firstError);
        Assert.Equal(2, completed);
        Assert.Contains("nothing to resume", completedError, StringComparison.Ordinal);
        Assert.Equal(2, empty);
        Assert.Contains("resume.json", emptyError, StringComparison.Ordinal);
        Assert.NotEqual(0, both);
    }

    /// <summary>
    /// Every entry of a ledger but its signature and the hashes that chain over the writer's (fresh) key: sequence, time,
    /// writer, type, payload; with <paramref name="masked"/>, update hashes are blanked (masked inputs are random by design).
    /// Run ids are blanked too: every submission of a job gets its own (two folders are two runs by design).
    /// </summary>
    private static IReadOnlyList<string> Contents(string ledger, bool masked = false) =>
        [.. LedgerReader.Read(ledger).Entries.Select(e => $"{e.Sequence} {e.Timestamp:O} {e.WriterId} {e.Type} {s_runId.Replace(masked ? s_updateHash.Replace(e.Payload, "\"update_sha256\":\"masked\"") : e.Payload, "\"run_id\":\"run\"")}")];

    private static readonly System.Text.RegularExpressions.Regex s_runId = new("\"run_id\":\"[0-9a-f]+\"", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));

    private static readonly System.Text.RegularExpressions.Regex s_updateHash = new("\"update_sha256\":\"[0-9a-f]+\"", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));
}
