using System.Globalization;
using System.Net;
using Consortia.Dashboard;
using Consortia.Dashboard.Hosting;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Simulation;
using Consortia.Governance.Audit;
using Microsoft.Extensions.Logging;

namespace Consortia.Cli.Commands;

/// <summary>
/// The dashboard of <c>simulate --serve</c>: the run's job store (owned here, so it outlives the run) behind a local
/// dashboard with a fresh admin token for this run only.
/// </summary>
internal sealed class SimulateDashboard : IAsyncDisposable
{
    private readonly DashboardServer _server;
    private readonly IJobStore _store;

    private SimulateDashboard(DashboardServer server, IJobStore store, string token)
    {
        _server = server;
        _store = store;
        LoginLink = new Uri(server.Address, "login?token=" + Uri.EscapeDataString(token));
    }

    /// <summary>The store the simulation runs in.</summary>
    public IJobStore Store => _store;

    /// <summary>The dashboard's address.</summary>
    public Uri Address => _server.Address;

    /// <summary>The one link that logs a browser in (it carries this run's token).</summary>
    public Uri LoginLink { get; }

    /// <summary>Parses <c>ADDR:PORT</c> (IPv4 or bracketed IPv6; port 0: any free port).</summary>
    public static bool TryParseEndpoint(string text, out IPEndPoint endpoint) =>
        IPEndPoint.TryParse(text, out endpoint!) && text.Contains(':', StringComparison.Ordinal) && endpoint.Port is >= 0 and < 65536;

    /// <summary>Starts the dashboard over a new store: SQLite in <c>DIR/jobs.db</c> with <c>--out DIR</c> (resumable), else in memory.</summary>
    public static async Task<SimulateDashboard> StartAsync(IPEndPoint endpoint, string? outDir, CancellationToken cancellationToken)
    {
        TimeProvider time = TimeProvider.System; // the composition root: the dashboard shows wall-clock times
        IJobStore store;
        if (outDir is null)
        {
            store = new InMemoryJobStore(time);
        }
        else
        {
            Directory.CreateDirectory(outDir);
            store = SqliteJobStore.Open(new SqliteJobStoreOptions { Path = Path.Combine(outDir, FederatedSimulation.StoreFileName) }, time);
        }

        string token = AdminTokens.NewToken();
        string? ledger = outDir is null ? null : Path.Combine(outDir, "ledgers", "coordinator.db");
        DashboardOptions options = new()
        {
            Jobs = store,
            IsAdminToken = AdminTokens.Matching(token),
            Time = time,
            PollInterval = TimeSpan.FromMilliseconds(250),
            Consortia = () => Consortia(store, ledger),
            Ledger = () => Head(ledger),
            AllowTokenLink = true, // the link is printed on this machine's terminal; the server listens on loopback by default
            SecureCookie = false,  // plain HTTP on loopback
        };
        try
        {
            // Refused logins (warnings) go to stderr, so stdout stays the run's output.
            DashboardServer server = await DashboardServer.StartAsync(endpoint, options, logging => logging
                .SetMinimumLevel(LogLevel.Warning)
                .AddFilter("Microsoft", LogLevel.Error)
                .AddSimpleConsole(o => o.SingleLine = true)
                .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace), cancellationToken).ConfigureAwait(false);
            return new SimulateDashboard(server, store, token);
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>The one consortium of a simulation: the job's, with the sites seen in its rounds.</summary>
    private static IReadOnlyList<DashboardConsortium> Consortia(IJobStore store, string? ledger)
    {
        IReadOnlyList<JobRecord> jobs = store.ListJobs();
        if (jobs.Count == 0)
        {
            return [];
        }

        string? consortium = null;
        try
        {
            consortium = Federation.Engine.JobRunner.ParseStoredJob(jobs[0]).Consortium;
        }
        catch (Federation.Jobs.JobFileException)
        {
            // A job without YAML: it still has sites.
        }

        string[] members = [.. jobs.SelectMany(j => store.GetRounds(j.Id)).SelectMany(r => r.Report.Contributors
            .Concat(r.Report.Refusals.Select(x => x.Site)).Concat(r.Report.Failures.Select(x => x.Site)))
            .Select(s => s.Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        return [new DashboardConsortium(consortium ?? Federation.Jobs.JobDefinition.DefaultConsortium, members, Head(ledger))];
    }

    /// <summary>The coordinator ledger's head (<c>--out DIR</c> keeps one in <c>DIR/ledgers</c>), or none.</summary>
    private static LedgerHead? Head(string? path)
    {
        if (path is null || !File.Exists(path))
        {
            return null;
        }

        try
        {
            LedgerContents contents = LedgerReader.Read(path);
            return new LedgerHead(contents.HeadHash, contents.Entries.Count);
        }
        catch (Exception e) when (e is LedgerFormatException or IOException or Microsoft.Data.Sqlite.SqliteException)
        {
            return null; // being created by the run; the next request reads it again
        }
    }

    /// <summary>The first line <c>--serve</c> prints.</summary>
    public string Announcement() => string.Create(CultureInfo.InvariantCulture, $"dashboard: {LoginLink}");

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync().ConfigureAwait(false);
        _store.Dispose();
    }
}
