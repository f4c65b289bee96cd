using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests.Support;

/// <summary>
/// A consortium made of real processes in a temporary folder: <c>consortia provision</c>, a coordinator,
/// enrolled site nodes, and the admin commands, exactly as docs/consortium.md tells an operator to run them.
/// </summary>
internal sealed class Consortium : IAsyncDisposable
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly List<ConsortiaProcess> _processes = [];
    private readonly TempDirectory _root = new();

    private Consortium(string coordinatorHost, string? coordinatorNetns)
    {
        CoordinatorHost = coordinatorHost;
        CoordinatorNetns = coordinatorNetns;
        Home = Path.Combine(_root.Path, "coordinator-home");
        SitesPort = FreePort();
        EnrollmentPort = FreePort();
        AdminPort = FreePort();
        HealthPort = FreePort();
    }

    public string Root => _root.Path;

    public string Home { get; }

    public string CoordinatorHost { get; }

    public string? CoordinatorNetns { get; }

    public int SitesPort { get; }

    public int EnrollmentPort { get; }

    public int AdminPort { get; }

    public int HealthPort { get; }

    public ConsortiaProcess? Coordinator { get; private set; }

    public Dictionary<string, ConsortiaProcess> Nodes { get; } = new(StringComparer.Ordinal);

    /// <summary>Provisions a consortium whose coordinator answers at <paramref name="coordinatorHost"/>.</summary>
    public static async Task<Consortium> ProvisionAsync(string coordinatorHost = "127.0.0.1", IEnumerable<string>? extraHosts = null, string? coordinatorNetns = null)
    {
        Consortium consortium = new(coordinatorHost, coordinatorNetns);
        List<string> args = ["provision", "--consortium", "e2e-heart", "--out", consortium.Home, "--host", coordinatorHost];
        foreach (string host in extraHosts ?? [])
        {
            args.AddRange(["--host", host]);
        }

        await consortium.RunOkAsync(args);
        return consortium;
    }

    /// <summary>Writes coordinator.yaml and starts the coordinator; returns when it is ready.</summary>
    public async Task StartCoordinatorAsync(string roundTimeout = "60s")
    {
        string config = Path.Combine(Root, "coordinator.yaml");
        if (!File.Exists(config))
        {
            await File.WriteAllTextAsync(config, CoordinatorYaml(HealthPort, roundTimeout));
        }

        Coordinator = Start("coordinator", ["coordinator", "--config", config], CoordinatorNetns);
        await Coordinator.WaitForLineAsync(l => l.Contains("coordinator ready", StringComparison.Ordinal), CommandTimeout, "saying 'coordinator ready'");
    }

    /// <summary>
    /// The coordinator's <c>store:</c> section (e.g. PostgreSQL), written into every coordinator.yaml made after it is set;
    /// <see langword="null"/>: the default SQLite store in the home.
    /// </summary>
    public string? StoreYaml { get; set; }

    /// <summary>
    /// Starts another coordinator replica on the same home, store and ports, with its own health port and config file
    /// (a PostgreSQL standby: it binds the shared ports only once it holds the database lock). Does not wait.
    /// </summary>
    public ConsortiaProcess StartCoordinatorReplica(string name, int healthPort, string roundTimeout = "60s")
    {
        string config = Path.Combine(Root, name + ".yaml");
        File.WriteAllText(config, CoordinatorYaml(healthPort, roundTimeout));
        return Start(name, ["coordinator", "--config", config], CoordinatorNetns);
    }

    private string CoordinatorYaml(int healthPort, string roundTimeout)
    {
        string listenHost = CoordinatorNetns is null ? CoordinatorHost : "0.0.0.0";
        return string.Join('\n',
            $"home: {Home}",
            "listen:",
            $"  sites: {listenHost}:{SitesPort}",
            $"  enrollment: {listenHost}:{EnrollmentPort}",
            $"  admin: 127.0.0.1:{AdminPort}",
            $"  health: 127.0.0.1:{healthPort}",
            $"round_timeout: {roundTimeout}",
            "job_start_timeout: 10s",
            StoreYaml ?? "",
            "");
    }

    /// <summary>Mints a token, enrolls the site and starts its node on the shipped Heart data.</summary>
    public async Task<ConsortiaProcess> EnrollAndStartNodeAsync(string site, string? netns = null, string? coordinatorAddress = null, string? policy = null)
    {
        string token = await CreateTokenAsync(site);
        string folder = Path.Combine(Root, "sites", site);
        Directory.CreateDirectory(folder);
        string address = coordinatorAddress ?? CoordinatorHost;
        await RunOkAsync(["node", "enroll", "--coordinator", $"https://{address}:{EnrollmentPort}", "--token", token, "--out", Path.Combine(folder, "identity")], netns);
        return await StartNodeAsync(site, netns, address, policy);
    }

    /// <summary>Starts (or restarts) an enrolled site's node.</summary>
    public async Task<ConsortiaProcess> StartNodeAsync(string site, string? netns = null, string? coordinatorAddress = null, string? policy = null)
    {
        string folder = Path.Combine(Root, "sites", site);
        string config = Path.Combine(folder, "site.yaml");
        string policyFile = policy ?? Path.Combine(RepositoryPaths.Root, "examples", "policies", "heart-consortium-site.yaml");
        await File.WriteAllTextAsync(config, string.Join('\n',
            $"site: {site}",
            $"coordinator: https://{coordinatorAddress ?? CoordinatorHost}:{SitesPort}",
            "identity: identity",
            $"policy: {policyFile}",
            "state: state",
            "data:",
            $"  path: {Path.Combine(RepositoryPaths.Root, "data", "fed-heart-disease")}",
            $"  site: {site}",
            ""));
        ConsortiaProcess node = Start(site, ["node", "run", "--config", config], netns);
        Nodes[site] = node;
        await node.WaitForLineAsync(l => l.Contains("connected to the coordinator", StringComparison.Ordinal), CommandTimeout, "saying it connected");
        return node;
    }

    public async Task<string> CreateTokenAsync(string site)
    {
        (int code, string output) = await RunAsync(["token", "create", "--site", site, "--home", Home]);
        Assert.True(code == 0, $"token create failed ({code}):\n{output}");
        return output.Trim().Split('\n')[^1].Trim();
    }

    /// <summary>Submits a job through the admin API and returns its id.</summary>
    public async Task<string> SubmitAsync(string jobFile)
    {
        (int code, string output) = await RunAsync(["job", "submit", jobFile, "--coordinator", $"https://127.0.0.1:{AdminPort}", "--home", Home], CoordinatorNetns);
        Assert.True(code == 0, $"job submit failed ({code}):\n{output}");
        return output.Trim().Split('\n')[^1].Trim();
    }

    /// <summary>Waits for a job to end and returns its JSON status.</summary>
    public async Task<JsonDocument> WaitForJobAsync(string jobId, TimeSpan timeout)
    {
        (int code, string output) = await RunAsync(
            ["job", "status", jobId, "--wait", "--timeout", ((int)timeout.TotalSeconds).ToString(CultureInfo.InvariantCulture), "--json", "--coordinator", $"https://127.0.0.1:{AdminPort}", "--home", Home],
            CoordinatorNetns, timeout + CommandTimeout);
        Assert.True(code == 0, $"job status --wait failed ({code}):\n{output}\n--- coordinator ---\n{Coordinator?.Output}");
        return JsonDocument.Parse(output.Trim().Split('\n')[^1]);
    }

    /// <summary>Runs a command to completion.</summary>
    public Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args, string? netns = null, TimeSpan? timeout = null) =>
        ConsortiaProcess.RunAsync(args, timeout ?? CommandTimeout, Root, netns);

    public async Task RunOkAsync(IEnumerable<string> args, string? netns = null)
    {
        (int code, string output) = await RunAsync(args, netns);
        Assert.True(code == 0, $"`consortia {string.Join(' ', args)}` failed ({code}):\n{output}");
    }

    /// <summary>Everything every process said, for failure messages.</summary>
    public string Logs() => string.Join("\n", _processes.Select(p => $"--- {p.Name} ---\n{p.Output}"));

    private ConsortiaProcess Start(string name, IEnumerable<string> args, string? netns)
    {
        ConsortiaProcess process = ConsortiaProcess.Start(name, args, Root, netns);
        _processes.Add(process);
        return process;
    }

    public static int FreePort()
    {
        using TcpListener listener = new(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ConsortiaProcess process in _processes)
        {
            await process.DisposeAsync();
        }

        _root.Dispose();
    }
}
