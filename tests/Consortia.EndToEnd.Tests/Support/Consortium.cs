using System.Globalization;
using System.Text.Json;
using Consortia.Cli.Deployment;
using Consortia.TestKit;

namespace Consortia.EndToEnd.Tests.Support;

/// <summary>
/// A consortium made of real processes in a temporary folder, set up by the production launcher
/// (<see cref="LocalConsortium"/>, the one behind <c>simulate --transport grpc</c>), with the shipped Heart data and
/// policy as the sites' defaults and test assertions around the admin commands.
/// </summary>
internal sealed class Consortium : IAsyncDisposable
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    private readonly TempDirectory _root;
    private readonly LocalConsortium _local;

    private Consortium(TempDirectory root, LocalConsortium local, string? coordinatorNetns)
    {
        _root = root;
        _local = local;
        CoordinatorNetns = coordinatorNetns;
    }

    public string Root => _local.Root;

    public string Home => _local.Home;

    public string? CoordinatorNetns { get; }

    public int EnrollmentPort => _local.EnrollmentPort;

    public int SitesPort => _local.SitesPort;

    public int AdminPort => _local.AdminPort;

    public ConsortiaProcess? Coordinator => _local.Coordinator;

    public int HealthPort => _local.HealthPort;

    /// <summary>The coordinator's <c>store:</c> section for configurations written from now on (<see langword="null"/>: SQLite).</summary>
    public string? StoreYaml
    {
        get => _local.StoreYaml;
        set => _local.StoreYaml = value;
    }

    /// <summary>The coordinator's <c>job_start_timeout</c> for configurations written from now on (default 2m).</summary>
    public string JobStartTimeout
    {
        get => _local.JobStartTimeout;
        set => _local.JobStartTimeout = value;
    }

    /// <summary>Starts another coordinator replica on the same home, store and ports (see <see cref="LocalConsortium.StartCoordinatorReplica"/>).</summary>
    public ConsortiaProcess StartCoordinatorReplica(string name, int healthPort, string roundTimeout = "60s") =>
        _local.StartCoordinatorReplica(name, healthPort, roundTimeout);

    public static int FreePort() => LocalConsortium.FreePort();

    /// <summary>Provisions a consortium whose coordinator answers at <paramref name="coordinatorHost"/>.</summary>
    public static async Task<Consortium> ProvisionAsync(string coordinatorHost = "127.0.0.1", IEnumerable<string>? extraHosts = null, string? coordinatorNetns = null)
    {
        TempDirectory root = new();
        LocalConsortium local = await LocalConsortium.ProvisionAsync(
            new LocalConsortiumOptions
            {
                Root = root.Path,
                ConsortiumName = "e2e-heart",
                RosterSites = ["cleveland", "hungarian", "switzerland", "va"], // the four hospitals accept one roster
                RosterConsortium = "heart-consortium",
                CoordinatorHost = coordinatorHost,
                ExtraHosts = [.. extraHosts ?? []],
                CoordinatorWrapper = Wrapper(coordinatorNetns) ?? [],
                CommandTimeout = CommandTimeout,
            },
            TestContext.Current.CancellationToken);
        return new Consortium(root, local, coordinatorNetns);
    }

    /// <summary>Writes coordinator.yaml (once) and starts the coordinator; returns when it is ready.</summary>
    public Task<ConsortiaProcess> StartCoordinatorAsync(string roundTimeout = "60s") =>
        _local.StartCoordinatorAsync(roundTimeout, TestContext.Current.CancellationToken);

    /// <summary>Mints a token, enrolls the site and starts its node on the shipped Heart data.</summary>
    public Task<ConsortiaProcess> EnrollAndStartNodeAsync(string site, string? netns = null, string? coordinatorAddress = null, string? policy = null) =>
        _local.EnrollAndStartNodeAsync(HeartSite(site, netns, coordinatorAddress, policy), TestContext.Current.CancellationToken);

    /// <summary>Starts (or restarts) an enrolled site's node.</summary>
    public Task<ConsortiaProcess> StartNodeAsync(string site, string? netns = null, string? coordinatorAddress = null, string? policy = null) =>
        _local.StartNodeAsync(HeartSite(site, netns, coordinatorAddress, policy), TestContext.Current.CancellationToken);

    /// <summary>Stops the nodes, then the coordinator, gracefully.</summary>
    public Task StopAsync() => _local.StopAsync();

    /// <summary>The running node process of a started site.</summary>
    public ConsortiaProcess Node(string site) => _local.Nodes[site];

    /// <summary>Connects an admin client to the running coordinator (to poll a job without starting a process per look).</summary>
    public Network.Coordinator.JobAdminClient ConnectAdmin() => _local.ConnectAdmin();

    public Task<string> CreateTokenAsync(string site) => _local.CreateTokenAsync(site, TestContext.Current.CancellationToken);

    /// <summary>Submits a job with <c>consortia job submit</c> and returns its id.</summary>
    public async Task<string> SubmitAsync(string jobFile)
    {
        (int code, string output) = await RunAsync(["job", "submit", jobFile, "--coordinator", $"https://127.0.0.1:{AdminPort}", "--home", Home], CoordinatorNetns);
        Assert.True(code == 0, $"job submit failed ({code}):\n{output}");
        return output.Trim().Split('\n')[^1].Trim();
    }

    /// <summary>Waits for a job to end with <c>consortia job status --wait</c> and returns its JSON status.</summary>
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
        _local.RunAsync(args, Wrapper(netns), timeout ?? CommandTimeout, TestContext.Current.CancellationToken);

    public async Task RunOkAsync(IEnumerable<string> args, string? netns = null)
    {
        (int code, string output) = await RunAsync(args, netns);
        Assert.True(code == 0, $"`consortia {string.Join(' ', args)}` failed ({code}):\n{output}");
    }

    /// <summary>Everything every process said, for failure messages.</summary>
    public string Logs() => _local.Logs();

    public async ValueTask DisposeAsync()
    {
        await _local.DisposeAsync();
        _root.Dispose();
    }

    private static LocalSite HeartSite(string site, string? netns, string? coordinatorAddress, string? policy) =>
        new(site, Path.Combine(RepositoryPaths.Root, "data", "fed-heart-disease"), site)
        {
            Policy = policy ?? Path.Combine(RepositoryPaths.Root, "examples", "policies", "heart-consortium-site.yaml"),
            Sensitive = ["sex", "age"], // what a fairness audit may group by (audit-model fairness --job)
            Wrapper = Wrapper(netns),
            CoordinatorAddress = coordinatorAddress,
            // These scenarios check deployment against `consortia simulate` bit for bit, so the nodes derive their
            // randomness from the job seed as simulation does (not private; production nodes use the default).
            SeededRandomness = true,
        };

    private static string[]? Wrapper(string? netns) => netns is null ? null : ["ip", "netns", "exec", netns];
}
