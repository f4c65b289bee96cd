using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Consortia.Cli.Output;
using Consortia.Cli.Output.Reports;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Stores.PostgreSql;
using Consortia.TestKit;

namespace Consortia.Cli.Tests.Output.Reports;

/// <summary>One throw-away PostgreSQL server for the class (each test takes its own database of it).</summary>
public sealed class ReportPostgresFixture : IDisposable
{
    /// <summary>The running server (if PostgreSQL cannot start, the class's tests fail with the reason).</summary>
    public PostgresServer Server { get; } = PostgresServer.Start();

    public void Dispose() => Server.Dispose();
}

/// <summary><c>report training</c> on a coordinator's configured store: SQLite or PostgreSQL, as coordinator.yaml selects.</summary>
public sealed partial class TrainingReportStoreTests(ReportPostgresFixture fixture) : IClassFixture<ReportPostgresFixture>
{
    private static readonly CultureInfo s_c = CultureInfo.InvariantCulture;

    [Trait("Category", "Slow")]
    [Fact]
    public async Task PostgresCoordinator_ReportsTheSameRoundsPrivacyAndFairnessAsTheSameJobInSqlite()
    {
        using TempDirectory temp = new();
        string dir = temp.File("run");
        string jobFile = await WriteShortDpJobWithFairnessAsync(temp);
        (int exit, _, string error) = await CliRunner.RunAsync("simulate", jobFile, "--out", dir, "--json");
        Assert.True(exit == 0, error);
        string sqliteId = JobIdOf(dir);

        // The same job's rounds, committed through the real PostgreSQL store as a coordinator commits them.
        string connection = fixture.Server.CreateDatabase("report");
        string database = new Npgsql.NpgsqlConnectionStringBuilder(connection).Database!;
        string pgId = CopyJob(Path.Combine(dir, "jobs.db"), sqliteId, connection);
        string home = temp.File("pg-home");
        Directory.CreateDirectory(home);
        await File.WriteAllTextAsync(Path.Combine(home, "coordinator.yaml"), $"home: .\nstore:\n  kind: postgresql\n  connection: \"{connection}\"\n", TestContext.Current.CancellationToken);
        string before = Snapshot(database);

        string fairness = Path.Combine(dir, FairnessJson.FileName);
        (int sqliteExit, _, string sqliteError) = await CliRunner.RunAsync("report", "training", "--job", sqliteId, "--store", Path.Combine(dir, "jobs.db"), "--fairness", fairness, "--out", temp.File("sqlite.html"));
        Assert.True(sqliteExit == 0, sqliteError);
        (int pgExit, string pgOut, string pgError) = await CliRunner.RunAsync("report", "training", "--job", pgId, "--home", home, "--fairness", fairness, "--out", temp.File("pg.html"));
        Assert.True(pgExit == 0, pgError);
        Assert.Contains($"training report of job {pgId} (3 rounds)", pgOut, StringComparison.Ordinal);
        (int configExit, _, string configError) = await CliRunner.RunAsync("report", "training", "--job", pgId, "--config", Path.Combine(home, "coordinator.yaml"), "--fairness", fairness, "--out", temp.File("pg-config.html"));
        Assert.True(configExit == 0, configError);

        string sqliteHtml = await File.ReadAllTextAsync(temp.File("sqlite.html"), TestContext.Current.CancellationToken);
        string pgHtml = await File.ReadAllTextAsync(temp.File("pg.html"), TestContext.Current.CancellationToken);
        Assert.Equal(pgHtml, await File.ReadAllTextAsync(temp.File("pg-config.html"), TestContext.Current.CancellationToken));
        Assert.Contains($"3 of 3 rounds committed in PostgreSQL (host &#39;{fixture.Server.SocketFolder}&#39;", pgHtml, StringComparison.Ordinal);
        Assert.Contains($"database &#39;{database}&#39;", pgHtml, StringComparison.Ordinal);

        // What the PostgreSQL store holds, read back independently of the report: every site's final metrics, privacy and the audit are in the HTML.
        IReadOnlyList<StoredRound> stored;
        using (PostgresJobStore store = PostgresJobStore.Open(new PostgresJobStoreOptions { ConnectionString = connection }, TimeProvider.System))
        {
            stored = store.GetRounds(pgId);
        }

        Assert.Equal(3, stored.Count);
        MetricSummary final = stored[^1].Report.Evaluation ?? throw new InvalidOperationException("the last round has no evaluation");
        Assert.Equal(4, final.Sites.Count);
        foreach (EvaluationReport site in final.Sites)
        {
            Assert.Contains(Row([site.Site.Value, site.Examples.ToString(s_c), .. site.Metrics.Select(m => SimulationReport.Format(m.Value))]), pgHtml, StringComparison.Ordinal);
        }

        SitePrivacyReport[] privacy = [.. SitePrivacyReport.LatestOf([.. stored.Select(r => r.Report)])];
        Assert.Equal(4, privacy.Length); // sample-level DP-SGD: each site reported its own spend with its updates
        foreach (SitePrivacyReport p in privacy)
        {
            Assert.Contains(Row([p.Site.Value, SimulationReport.Format(p.Epsilon), p.Delta.ToString(s_c), p.Mechanism]).Replace("</tr>", "", StringComparison.Ordinal), pgHtml, StringComparison.Ordinal);
        }

        Assert.Contains("<h2>Fairness across patient groups</h2>", pgHtml, StringComparison.Ordinal);
        Assert.Contains("ROC curve by sex (from counts)", pgHtml, StringComparison.Ordinal);

        // And the whole report is the one the same job gives from SQLite: only its id and where it was read differ.
        string normalised = StoreName().Replace(pgHtml.Replace(pgId, sqliteId, StringComparison.Ordinal), "rounds committed in STORE");
        Assert.Equal(StoreName().Replace(sqliteHtml, "rounds committed in STORE"), normalised);

        // A SQLite coordinator's configuration in its home (store: absent, the default) reads HOME/coordinator.db: the same report again.
        string sqliteHome = temp.File("sqlite-home");
        Directory.CreateDirectory(sqliteHome);
        File.Copy(Path.Combine(dir, "jobs.db"), Path.Combine(sqliteHome, "coordinator.db"));
        await File.WriteAllTextAsync(Path.Combine(sqliteHome, "coordinator.yaml"), "home: .\n", TestContext.Current.CancellationToken);
        (int homeExit, _, string homeError) = await CliRunner.RunAsync("report", "training", "--job", sqliteId, "--home", sqliteHome, "--fairness", fairness, "--out", temp.File("sqlite-home.html"));
        Assert.True(homeExit == 0, homeError);
        string homeHtml = await File.ReadAllTextAsync(temp.File("sqlite-home.html"), TestContext.Current.CancellationToken);
        Assert.Contains("3 of 3 rounds committed in coordinator.db", homeHtml, StringComparison.Ordinal);
        Assert.Equal(StoreName().Replace(sqliteHtml, "rounds committed in STORE"), StoreName().Replace(homeHtml, "rounds committed in STORE"));

        // Reading changed nothing in the coordinator's database.
        Assert.Equal(before, Snapshot(database));
    }

    [Fact]
    public async Task PostgresDatabaseWithoutASchema_ExitsTwoNamingTheField_AndCreatesNothing()
    {
        using TempDirectory temp = new();
        string connection = fixture.Server.CreateDatabase("empty");
        string database = new Npgsql.NpgsqlConnectionStringBuilder(connection).Database!;
        string config = temp.File("coordinator.yaml");
        await File.WriteAllTextAsync(config, $"home: .\nstore:\n  kind: postgresql\n  connection: \"{connection}\"\n", TestContext.Current.CancellationToken);

        (int exit, _, string error) = await CliRunner.RunAsync("report", "training", "--job", "j-1", "--config", config, "--out", temp.File("r.html"));

        Assert.Equal(2, exit);
        Assert.Contains($"{config}: store.connection: PostgreSQL store (host '{fixture.Server.SocketFolder}'", error, StringComparison.Ordinal);
        Assert.Contains("holds no coordinator schema", error, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error, StringComparison.Ordinal); // no stack trace
        Assert.Equal("0", fixture.Server.Sql(database, "SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public';").Trim()); // the report created no table
        Assert.False(File.Exists(temp.File("r.html")));

        // A version-1 schema (an older coordinator's): left for the coordinator to upgrade, not upgraded by a report.
        PostgresJobStore.Open(new PostgresJobStoreOptions { ConnectionString = connection }, TimeProvider.System).Dispose();
        fixture.Server.Sql(database, "DELETE FROM schema_version; INSERT INTO schema_version (version, applied_at) VALUES (1, now());");
        (int old, _, string oldError) = await CliRunner.RunAsync("report", "training", "--job", "j-1", "--config", config, "--out", temp.File("r.html"));
        Assert.Equal(2, old);
        Assert.Contains("holds no coordinator schema of the current version (the coordinator creates it, or upgrades an older one, when it starts", oldError, StringComparison.Ordinal);
        Assert.Equal("1", fixture.Server.Sql(database, "SELECT string_agg(version::text, ',') FROM schema_version;").Trim());
        Assert.False(File.Exists(temp.File("r.html")));
    }

    /// <summary>The heart-disease DP-SGD example, cut to 3 rounds and with a fairness audit by sex: privacy and fairness sections in one short run.</summary>
    private static async Task<string> WriteShortDpJobWithFairnessAsync(TempDirectory temp)
    {
        string text = await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "heart-disease", "dp-sgd.yaml"), TestContext.Current.CancellationToken);
        (string From, string To)[] edits =
        [
            ("rounds: 15", "rounds: 3"),
            ("path: ../../data/fed-heart-disease", $"path: {RepositoryPaths.Combine("data", "fed-heart-disease")}"),
            ("default: ../policies/heart-disease-research.yaml", $"default: {RepositoryPaths.Combine("examples", "policies", "heart-disease-research.yaml")}"),
        ];
        foreach ((string from, string to) in edits)
        {
            Assert.Contains(from, text, StringComparison.Ordinal); // the example still reads as this test expects
            text = text.Replace(from, to, StringComparison.Ordinal);
        }

        string path = temp.File("dp-fairness.yaml");
        await File.WriteAllTextAsync(path, text.TrimEnd() + "\n\nfairness:\n  groups:\n    sex: {column: sex, values: {female: 0, male: 1}}\n  threshold: 0.5\n", TestContext.Current.CancellationToken);
        return path;
    }

    private static string JobIdOf(string dir)
    {
        using JsonDocument resume = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "resume.json")));
        return resume.RootElement.GetProperty("job_id").GetString() ?? throw new InvalidOperationException("resume.json has no job_id");
    }

    /// <summary>Submits the SQLite job to PostgreSQL and commits its rounds (with its last checkpoint as every round's model), as a coordinator would.</summary>
    private static string CopyJob(string sqlitePath, string id, string connection)
    {
        using SqliteJobStore from = SqliteJobStore.Open(new SqliteJobStoreOptions { Path = sqlitePath }, TimeProvider.System);
        JobRecord job = from.GetJob(id);
        Checkpoint checkpoint = from.LoadLatestCheckpoint(id) ?? throw new InvalidOperationException("the simulated job has no checkpoint");
        GlobalModel model = new(JobFile.Parse(job.YamlText, "job").ModelFor(checkpoint.Parameters.Values.Length - 1), checkpoint.Parameters, checkpoint.ModelRound);
        using PostgresJobStore to = PostgresJobStore.Open(new PostgresJobStoreOptions { ConnectionString = connection }, TimeProvider.System);
        string copy = to.SubmitJob(new JobSubmission(job.Name, job.Owner, job.YamlText, job.TotalRounds)).Id;
        to.MarkRunning(copy, model, checkpoint.State);
        foreach (StoredRound round in from.GetRounds(id))
        {
            to.CommitRound(copy, round.Report.Round, model, checkpoint.State, round.Report);
        }

        to.MarkCompleted(copy);
        return copy;
    }

    /// <summary>Every row of the coordinator's tables, to show a report changed nothing.</summary>
    private string Snapshot(string database) =>
        fixture.Server.Sql(database, "SELECT (SELECT string_agg(t::text, '|' ORDER BY t.seq) FROM jobs t) || (SELECT string_agg(r::text, '|' ORDER BY r.round) FROM rounds r) || (SELECT string_agg(c.round::text || c.model_sha256, '|' ORDER BY c.round) FROM checkpoints c) || (SELECT string_agg(v::text, '|') FROM schema_version v);");

    private static string Row(IEnumerable<string> cells) => $"<tr>{string.Concat(cells.Select(c => $"<td>{WebUtility.HtmlEncode(c)}</td>"))}</tr>";

    /// <summary>Where the report says it read the rounds (a file name, or PostgreSQL's host and database).</summary>
    [GeneratedRegex("rounds committed in (PostgreSQL \\([^)]*\\)|[^.<]*\\.db)")]
    private static partial Regex StoreName();
}

/// <summary><c>report training</c>'s errors that need no database server: a wrong configuration, an unreachable database, no store.</summary>
public sealed class TrainingReportStoreErrorTests
{
    [Fact]
    public async Task PostgresUnreachable_ExitsTwoNamingTheFieldAndTheServer()
    {
        using TempDirectory temp = new();
        string config = temp.File("coordinator.yaml");
        string nowhere = temp.File("no-server-here"); // a socket folder no server listens in
        Directory.CreateDirectory(nowhere);
        await File.WriteAllTextAsync(config, "home: .\nstore:\n  kind: postgresql\n  connection_env: CONSORTIA_TEST_REPORT_PG\n", TestContext.Current.CancellationToken);

        (int unset, _, string unsetError) = await CliRunner.RunAsync("report", "training", "--job", "j-1", "--config", config, "--out", temp.File("r.html"));
        Assert.Equal(2, unset);
        Assert.Contains($"{config}:4: store.connection_env: the environment variable CONSORTIA_TEST_REPORT_PG is not set.", unsetError, StringComparison.Ordinal);

        await File.WriteAllTextAsync(config, $"home: .\nstore:\n  kind: postgresql\n  connection: \"Host={nowhere};Database=consortia;Username=postgres;Password=secret-word;Timeout=5\"\n", TestContext.Current.CancellationToken);
        (int exit, _, string error) = await CliRunner.RunAsync("report", "training", "--job", "j-1", "--config", config, "--out", temp.File("r.html"));

        Assert.Equal(2, exit);
        Assert.StartsWith($"error: {config}: store.connection: PostgreSQL store (host '{nowhere}', port 5432, database 'consortia', user 'postgres'): ", error, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-word", error, StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", error, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.File("r.html")));
    }

    [Fact]
    public async Task WrongOrMissingStore_ExitsTwoSayingWhatToPass()
    {
        using TempDirectory temp = new();
        string home = temp.File("home");
        Directory.CreateDirectory(home);

        (int noStore, _, string noStoreError) = await CliRunner.RunAsync("report", "training", "--job", "j-1", "--home", home, "--out", temp.File("r.html"));
        Assert.Equal(2, noStore);
        Assert.Contains($"{home}: neither coordinator.db (a SQLite coordinator's store) nor coordinator.yaml there", noStoreError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home, "coordinator.db"))); // nothing created

        await File.WriteAllTextAsync(Path.Combine(home, "coordinator.yaml"), "home: .\nstore:\n  kind: mysql\n", TestContext.Current.CancellationToken);
        (int badKind, _, string badKindError) = await CliRunner.RunAsync("report", "training", "--job", "j-1", "--home", home, "--out", temp.File("r.html"));
        Assert.Equal(2, badKind);
        Assert.Contains($"{Path.Combine(home, "coordinator.yaml")}:3: store.kind: expected sqlite or postgresql, got 'mysql'.", badKindError, StringComparison.Ordinal);

        await File.WriteAllTextAsync(Path.Combine(home, "coordinator.yaml"), "home: .\n", TestContext.Current.CancellationToken);
        (int sqlite, _, string sqliteError) = await CliRunner.RunAsync("report", "training", "--job", "j-1", "--home", home, "--out", temp.File("r.html"));
        Assert.Equal(2, sqlite);
        Assert.Contains("store.kind is sqlite, but the coordinator's home has no coordinator.db", sqliteError, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(home, "coordinator.db")));

        (int both, _, string bothError) = await CliRunner.RunAsync("report", "training", "--job", "j-1", "--home", home, "--store", temp.File("x.db"), "--out", temp.File("r.html"));
        Assert.Equal(2, both);
        Assert.Contains("give one of --store FILE, --config coordinator.yaml and --home DIR.", bothError, StringComparison.Ordinal);
        Assert.False(File.Exists(temp.File("r.html")));
    }
}
