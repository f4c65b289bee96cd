using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Consortia.Network.Coordinator;

namespace Consortia.Cli.Deployment;

/// <summary>
/// A consortium of real <c>consortia</c> processes on one machine, set up exactly as docs/deployment.md tells an
/// operator to: <c>provision</c>, a coordinator, and per site a one-time token, <c>node enroll</c> and <c>node run</c>.
/// Used by <c>simulate --transport grpc</c> and by the end-to-end tests.
/// </summary>
/// <remarks>
/// Every process it starts is stopped by <see cref="StopAsync"/> (gracefully) or <see cref="DisposeAsync"/> (killed if
/// still running), so a failure or a cancellation leaves no process behind.
/// </remarks>
internal sealed class LocalConsortium : IAsyncDisposable
{
    private readonly List<ConsortiaProcess> _processes = [];
    private readonly LocalConsortiumOptions _options;
    private Governance.Roster.ConsortiumRoster? _roster; // built once, when the first node starts

    private LocalConsortium(LocalConsortiumOptions options)
    {
        _options = options;
        Root = Directory.CreateDirectory(options.Root).FullName;
        Home = Path.Combine(Root, "coordinator-home");
        int[] ports = FreePorts(4);
        (SitesPort, EnrollmentPort, AdminPort, HealthPort) = (ports[0], ports[1], ports[2], ports[3]);
    }

    /// <summary>The folder holding the coordinator home, its configuration and every site's folder.</summary>
    public string Root { get; }

    /// <summary>The coordinator home made by <c>consortia provision</c>.</summary>
    public string Home { get; }

    /// <summary>The coordinator's host name or address (in its certificate).</summary>
    public string CoordinatorHost => _options.CoordinatorHost;

    /// <summary>The sites' endpoint port.</summary>
    public int SitesPort { get; }

    /// <summary>The enrollment endpoint port.</summary>
    public int EnrollmentPort { get; }

    /// <summary>The admin endpoint port (always on loopback).</summary>
    public int AdminPort { get; }

    /// <summary>The health endpoint port (always on loopback).</summary>
    public int HealthPort { get; }

    /// <summary>The admin endpoint.</summary>
    public Uri AdminEndpoint => new(string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{AdminPort}"));

    /// <summary>The coordinator process, once started.</summary>
    public ConsortiaProcess? Coordinator { get; private set; }

    /// <summary>The running node of every started site.</summary>
    public Dictionary<string, ConsortiaProcess> Nodes { get; } = new(StringComparer.Ordinal);

    /// <summary>Every process started so far (commands and servers).</summary>
    public IReadOnlyList<ConsortiaProcess> Processes => _processes;

    /// <summary>Creates the root folder and runs <c>consortia provision</c> in it.</summary>
    /// <exception cref="LocalDeploymentException">Provisioning failed.</exception>
    public static async Task<LocalConsortium> ProvisionAsync(LocalConsortiumOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        LocalConsortium consortium = new(options);
        List<string> args = ["provision", "--consortium", options.ConsortiumName, "--out", consortium.Home, "--host", options.CoordinatorHost];
        foreach (string host in options.ExtraHosts)
        {
            args.AddRange(["--host", host]);
        }

        try
        {
            await consortium.RunOkAsync(args, null, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await consortium.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return consortium;
    }

    /// <summary>Writes coordinator.yaml (once) and starts the coordinator; returns when it says it is ready.</summary>
    /// <param name="roundTimeout">How long a round waits for its sites (e.g. <c>60s</c>).</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <exception cref="TimeoutException">It did not get ready in time or exited.</exception>
    public async Task<ConsortiaProcess> StartCoordinatorAsync(string roundTimeout, CancellationToken cancellationToken)
    {
        string config = CoordinatorConfigPath;
        if (!File.Exists(config))
        {
            await File.WriteAllTextAsync(config, CoordinatorYaml(HealthPort, roundTimeout), cancellationToken).ConfigureAwait(false);
        }

        Coordinator = Start("coordinator", ["coordinator", "--config", config], _options.CoordinatorWrapper);
        await Coordinator.WaitForLineAsync(l => l.Contains("coordinator ready", StringComparison.Ordinal), _options.CommandTimeout, "saying 'coordinator ready'", cancellationToken).ConfigureAwait(false);
        return Coordinator;
    }

    /// <summary>
    /// The coordinator's <c>store:</c> section (e.g. PostgreSQL), written into every coordinator configuration made after it
    /// is set; <see langword="null"/>: the default SQLite store in the home.
    /// </summary>
    public string? StoreYaml { get; set; }

    /// <summary>
    /// The coordinator's <c>consortia:</c> section (the consortia it hosts beside its default one), written into every
    /// coordinator configuration made after it is set; <see langword="null"/>: none.
    /// </summary>
    public string? HostedConsortiaYaml { get; set; }

    /// <summary>The coordinator's configuration file (written when the coordinator first starts).</summary>
    public string CoordinatorConfigPath => Path.Combine(Root, "coordinator.yaml");

    /// <summary>The coordinator's <c>job_start_timeout</c> for configurations written from now on.</summary>
    /// <value>Default 2 minutes: a job fails when it cannot start by then, and nodes on a busy machine may take a while to connect.</value>
    public string JobStartTimeout { get; set; } = "2m";

    /// <summary>
    /// Starts another coordinator replica on the same home, store and ports, with its own health port and configuration
    /// (a PostgreSQL standby binds the shared ports only once it holds the database lock). Does not wait for it.
    /// </summary>
    /// <param name="name">The replica's process and configuration name.</param>
    /// <param name="healthPort">Its own health port.</param>
    /// <param name="roundTimeout">How long a round waits for its sites.</param>
    /// <returns>The started process.</returns>
    public ConsortiaProcess StartCoordinatorReplica(string name, int healthPort, string roundTimeout = "60s")
    {
        string config = Path.Combine(Root, name + ".yaml");
        File.WriteAllText(config, CoordinatorYaml(healthPort, roundTimeout));
        return Start(name, ["coordinator", "--config", config], _options.CoordinatorWrapper);
    }

    private string CoordinatorYaml(int healthPort, string roundTimeout)
    {
        // Inside a network namespace the coordinator listens on every address of its namespace.
        string listenHost = _options.CoordinatorWrapper.Count == 0 ? CoordinatorHost : "0.0.0.0";
        return string.Join('\n',
            $"home: {Home}",
            "listen:",
            string.Create(CultureInfo.InvariantCulture, $"  sites: {listenHost}:{SitesPort}"),
            string.Create(CultureInfo.InvariantCulture, $"  enrollment: {listenHost}:{EnrollmentPort}"),
            string.Create(CultureInfo.InvariantCulture, $"  admin: 127.0.0.1:{AdminPort}"),
            string.Create(CultureInfo.InvariantCulture, $"  health: 127.0.0.1:{healthPort}"),
            $"round_timeout: {roundTimeout}",
            $"job_start_timeout: {JobStartTimeout}",
            StoreYaml ?? "",
            HostedConsortiaYaml ?? "",
            "");
    }

    /// <summary>Mints a token for the site, enrolls it and starts its node.</summary>
    public async Task<ConsortiaProcess> EnrollAndStartNodeAsync(LocalSite site, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(site);
        await EnrollAsync(site, cancellationToken).ConfigureAwait(false);
        return await StartNodeAsync(site, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Mints a one-time token and runs <c>node enroll</c> into the site's identity folder.</summary>
    /// <exception cref="LocalDeploymentException">Token creation or enrollment failed.</exception>
    public async Task EnrollAsync(LocalSite site, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(site);
        string token = await CreateTokenAsync(site.Name, cancellationToken).ConfigureAwait(false);
        string folder = Directory.CreateDirectory(SiteFolder(site.Name)).FullName;
        await RunOkAsync(
            ["node", "enroll", "--coordinator", string.Create(CultureInfo.InvariantCulture, $"https://{site.CoordinatorAddress ?? CoordinatorHost}:{EnrollmentPort}"), "--token", token, "--out", Path.Combine(folder, "identity")],
            site.Wrapper, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the site's site.yaml and starts (or restarts) its node; returns when it has connected.</summary>
    /// <exception cref="TimeoutException">It did not connect in time or exited.</exception>
    public async Task<ConsortiaProcess> StartNodeAsync(LocalSite site, CancellationToken cancellationToken)
    {
        string config = await WriteSiteConfigAsync(site, cancellationToken).ConfigureAwait(false);
        AcceptRoster(site.Name);
        ConsortiaProcess node = Start(site.Name, ["node", "run", "--config", config], site.Wrapper);
        Nodes[site.Name] = node;
        await node.WaitForLineAsync(l => l.Contains("connected to the coordinator", StringComparison.Ordinal), _options.CommandTimeout, "saying it connected", cancellationToken).ConfigureAwait(false);
        return node;
    }

    /// <summary>Writes the site's site.yaml into its folder (what <c>roster join</c>, <c>agreement sign</c> and the node read).</summary>
    /// <returns>The file's path.</returns>
    public async Task<string> WriteSiteConfigAsync(LocalSite site, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(site);
        string folder = Directory.CreateDirectory(SiteFolder(site.Name)).FullName;
        string config = Path.Combine(folder, "site.yaml");
        List<string> lines =
        [
            $"site: {site.Name}",
            string.Create(CultureInfo.InvariantCulture, $"coordinator: https://{site.CoordinatorAddress ?? CoordinatorHost}:{SitesPort}"),
            "identity: identity",
            "state: state",
            "data:",
            $"  path: {site.DataPath}",
            $"  site: {site.DataSite}",
        ];
        if (site.Contract is not null)
        {
            lines.Add($"  contract: {site.Contract}");
        }

        if (site.Sensitive.Count > 0)
        {
            lines.Add($"  sensitive: [{string.Join(", ", site.Sensitive)}]");
        }

        if (site.Policy is not null)
        {
            lines.Add($"policy: {site.Policy}");
        }

        if (site.SeededRandomness)
        {
            lines.Add("randomness: seeded");
        }

        if (site.Budget is { } budget)
        {
            lines.AddRange(["budget:", string.Create(CultureInfo.InvariantCulture, $"  epsilon: {budget.Epsilon:R}"), string.Create(CultureInfo.InvariantCulture, $"  delta: {budget.Delta:R}")]);
        }

        if (site.Memberships.Count > 0)
        {
            lines.Add("consortia:");
        }

        foreach (LocalMembership membership in site.Memberships)
        {
            lines.AddRange(
            [
                $"  - name: {membership.Consortium}",
                $"    policy: {membership.Policy}",
                $"    data: {{path: {membership.DataPath}, site: {membership.DataSite}}}",
            ]);
            if (membership.Agreement is { } agreement)
            {
                lines.Add($"    agreement: {{file: {agreement}}}");
            }
        }

        await File.WriteAllTextAsync(config, string.Join('\n', lines) + "\n", cancellationToken).ConfigureAwait(false);
        return config;
    }

    /// <summary>The folder of a site (identity/, state/, site.yaml).</summary>
    public string SiteFolder(string site) => Path.Combine(Root, "sites", site);

    /// <summary>
    /// Before a node first starts, makes it accept the consortium roster (<see cref="LocalConsortiumOptions.RosterSites"/>):
    /// every member's long-term key is created in its state folder (the node loads it when it runs) and the roster of
    /// all of them is accepted into this node's state and ledger, as the sites' officers would with
    /// <c>consortia roster join|add|accept</c>.
    /// </summary>
    private void AcceptRoster(string site)
    {
        if (_options.RosterSites.Count == 0 || !_options.RosterSites.Contains(site))
        {
            return;
        }

        _roster ??= _options.RosterSites.Aggregate(Governance.Roster.ConsortiumRoster.Empty(_options.RosterConsortium), (roster, member) =>
        {
            using Governance.Audit.EcdsaLedgerSigner key = SiteKey(member);
            return roster.With(Governance.Roster.ConsortiumRoster.Join(_options.RosterConsortium, member, key));
        });
        Network.Node.RosterStore store = new(StateFolder(site));
        if (store.Accepted()?.Sha256 == _roster.Sha256)
        {
            return;
        }

        using Governance.Audit.EcdsaLedgerSigner signer = SiteKey(site);
        using Governance.Audit.AuditLedger ledger = Governance.Audit.AuditLedger.Open(
            Path.Combine(StateFolder(site), "ledger.db"), site, Governance.Audit.LedgerRole.Site, signer, TimeProvider.System);
        store.Accept(_roster, ledger);
    }

    private string StateFolder(string site) => Directory.CreateDirectory(Path.Combine(SiteFolder(site), "state")).FullName;

    private Governance.Audit.EcdsaLedgerSigner SiteKey(string site) =>
        Governance.Audit.EcdsaLedgerSigner.LoadOrCreate(Path.Combine(StateFolder(site), "ledger.key.pem"), Path.Combine(StateFolder(site), "ledger.pub.pem"));

    /// <summary>Runs <c>consortia token create</c> and returns the token.</summary>
    /// <exception cref="LocalDeploymentException">The command failed.</exception>
    public async Task<string> CreateTokenAsync(string site, CancellationToken cancellationToken)
    {
        string output = await RunOkAsync(["token", "create", "--site", site, "--home", Home], null, cancellationToken).ConfigureAwait(false);
        return output.Trim().Split('\n')[^1].Trim();
    }

    /// <summary>Connects an admin client (job submit, status, cancel) to the coordinator.</summary>
    public JobAdminClient ConnectAdmin() =>
        JobAdminClient.Connect(AdminEndpoint, File.ReadAllText(Path.Combine(Home, "ca.crt.pem")), File.ReadAllText(Path.Combine(Home, "admin.token"))); // two small files, once per run

    /// <summary>Runs a <c>consortia</c> command to completion in the root folder.</summary>
    public Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args, IReadOnlyList<string>? wrapper = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        ConsortiaProcess.RunAsync(args, timeout ?? _options.CommandTimeout, Root, wrapper, cancellationToken);

    /// <summary>Runs a <c>consortia</c> command that must succeed; returns its output.</summary>
    /// <exception cref="LocalDeploymentException">It exited with a non-zero code (the message carries its output).</exception>
    public async Task<string> RunOkAsync(IReadOnlyList<string> args, IReadOnlyList<string>? wrapper, CancellationToken cancellationToken)
    {
        (int code, string output) = await RunAsync(args, wrapper, null, cancellationToken).ConfigureAwait(false);
        return code == 0
            ? output
            : throw new LocalDeploymentException(string.Create(CultureInfo.InvariantCulture, $"`consortia {string.Join(' ', args)}` failed (exit {code}):\n{output}"));
    }

    /// <summary>The first started server process (coordinator or node) that has ended, if any.</summary>
    public ConsortiaProcess? FirstExited() =>
        new[] { Coordinator }.Concat(Nodes.Values).FirstOrDefault(p => p is { HasExited: true });

    /// <summary>Everything every process said, for failure messages.</summary>
    public string Logs() => string.Join("\n", _processes.Select(p => $"--- {p.Name} ---\n{p.Output}"));

    /// <summary>Stops the nodes, then the coordinator, each gracefully (SIGTERM), killing any that does not stop in time.</summary>
    public async Task StopAsync()
    {
        await Task.WhenAll(Nodes.Values.Select(StopOne)).ConfigureAwait(false);
        if (Coordinator is not null)
        {
            await StopOne(Coordinator).ConfigureAwait(false);
        }

        async Task StopOne(ConsortiaProcess process)
        {
            try
            {
                await process.StopAsync(_options.StopTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // StopAsync killed it: nothing is left running, which is all stopping promises.
            }
        }
    }

    /// <summary>Kills every process still running, at once and synchronously (for a cancellation that cannot wait).</summary>
    public void Kill()
    {
        foreach (ConsortiaProcess process in _processes.ToArray())
        {
            process.Kill();
        }
    }

    /// <summary>Kills every process still running and, when asked to, deletes the root folder.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (ConsortiaProcess process in _processes)
        {
            await process.DisposeAsync().ConfigureAwait(false);
        }

        if (_options.DeleteRootOnDispose && Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    private ConsortiaProcess Start(string name, IEnumerable<string> args, IReadOnlyList<string>? wrapper)
    {
        ConsortiaProcess process = ConsortiaProcess.Start(name, args, Root, wrapper);
        _processes.Add(process);
        return process;
    }

    /// <summary>A free TCP port on loopback (taken from the kernel, then released for the process to bind).</summary>
    public static int FreePort() => FreePorts(1)[0];

    /// <summary>
    /// <paramref name="count"/> different free TCP ports on loopback: all held at once while they are chosen (a port
    /// released and asked for again can come back the same), then released for the process to bind.
    /// </summary>
    public static int[] FreePorts(int count)
    {
        TcpListener[] listeners = [.. Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0))];
        try
        {
            foreach (TcpListener listener in listeners)
            {
                listener.Start();
            }

            return [.. listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port)];
        }
        finally
        {
            foreach (TcpListener listener in listeners)
            {
                listener.Dispose();
            }
        }
    }
}
