namespace Consortia.Network.Configuration;

/// <summary>A site node's configuration (<c>site.yaml</c>); see docs/deployment.md.</summary>
public sealed class NodeConfig
{
    /// <summary>The site's name: its certificate's common name.</summary>
    public string Site { get; set; } = "";

    /// <summary>The coordinator's site endpoint, e.g. <c>https://coordinator.example.org:7443</c>.</summary>
    public string Coordinator { get; set; } = "";

    /// <summary>The identity folder made by <c>consortia node enroll</c> (site.key.pem, site.crt.pem, ca.crt.pem).</summary>
    public string Identity { get; set; } = "identity";

    /// <summary>The site's policy file; without one the node refuses every job.</summary>
    public string? Policy { get; set; }

    /// <summary>Where the node keeps its audit ledger and privacy budget.</summary>
    public string State { get; set; } = "state";

    /// <summary>Health, readiness and metrics endpoint (plain HTTP), e.g. <c>0.0.0.0:9090</c>; none when empty.</summary>
    public string? Health { get; set; }

    /// <summary>
    /// How many tasks the node works on at once. Tasks of one job always run one after another (a job's site
    /// agent is not thread-safe), so this is concurrency across jobs.
    /// </summary>
    public int MaxConcurrentTasks { get; set; } = 2;

    /// <summary>
    /// The HTTP proxy the node reaches the coordinator through (HTTP CONNECT), e.g. <c>http://proxy.hospital.local:3128</c>;
    /// when absent, <c>HTTPS_PROXY</c> and <c>NO_PROXY</c> from the environment apply. TLS runs end to end inside the tunnel.
    /// </summary>
    public string? Proxy { get; set; }

    /// <summary>
    /// How the site officer hears of a job waiting for approval (the policy's <c>approval: required</c> makes jobs
    /// wait; see docs/policy.md); none when absent.
    /// </summary>
    public NodeApprovalConfig? Approval { get; set; }

    /// <summary>Where the site's local data is.</summary>
    public NodeDataConfig Data { get; set; } = new();

    /// <summary>
    /// Where the site's random choices come from: <c>cryptographic</c> (the default: batch sampling, DP noise and
    /// rounding are unknown to the coordinator) or <c>seeded</c> (derived from the job seed, as in simulation, to
    /// reproduce a simulation over the network; <b>not private</b>: whoever knows the seed knows the noise).
    /// </summary>
    public string Randomness { get; set; } = "cryptographic";

    /// <summary>Whether the node derives its randomness from the job seed (<see cref="Randomness"/> is <c>seeded</c>).</summary>
    public bool SeededRandomness => string.Equals(Randomness, "seeded", StringComparison.Ordinal);

    /// <summary>The site's lifetime privacy budget; none when absent.</summary>
    public NodeBudgetConfig? Budget { get; set; }

    /// <summary>Reads and checks a node configuration file; paths become absolute.</summary>
    /// <exception cref="ConfigurationException">The file is missing, malformed or incomplete.</exception>
    public static NodeConfig Load(string path)
    {
        NodeConfig config = ConfigFile.Load<NodeConfig>(path);
        Require(config.Site, path, "site");
        Require(config.Coordinator, path, "coordinator");
        Require(config.Data.Path, path, "data.path");
        Require(config.Data.Site, path, "data.site");
        if (!Uri.TryCreate(config.Coordinator, UriKind.Absolute, out Uri? uri) || uri.Scheme != Uri.UriSchemeHttps)
        {
            throw new ConfigurationException($"{path}: coordinator: expected an https:// URL, got '{config.Coordinator}'.");
        }

        if (config.Budget is { } budget && (!(budget.Epsilon > 0) || !double.IsFinite(budget.Epsilon) || !(budget.Delta > 0 && budget.Delta < 1)))
        {
            throw new ConfigurationException($"{path}: budget: expected epsilon > 0 and delta in (0, 1), got {budget.Epsilon} and {budget.Delta}.");
        }

        if (config.MaxConcurrentTasks is < 1 or > 64)
        {
            throw new ConfigurationException($"{path}: max_concurrent_tasks: expected a number from 1 to 64, got {config.MaxConcurrentTasks}.");
        }

        if (config.Randomness is not ("cryptographic" or "seeded"))
        {
            throw new ConfigurationException($"{path}: randomness: expected 'cryptographic' or 'seeded', got '{config.Randomness}'.");
        }

        if (config.Proxy is { Length: > 0 } proxy
            && (!Uri.TryCreate(proxy, UriKind.Absolute, out Uri? proxyUri) || proxyUri.Scheme != Uri.UriSchemeHttp || proxyUri.AbsolutePath != "/"))
        {
            throw new ConfigurationException($"{path}: proxy: expected an http:// URL of an HTTP CONNECT proxy (host and port only), e.g. http://proxy.hospital.local:3128, got '{proxy}'.");
        }

        config.Identity = ConfigFile.Resolve(path, config.Identity);
        config.State = ConfigFile.Resolve(path, config.State);
        config.Policy = config.Policy is null ? null : ConfigFile.Resolve(path, config.Policy);
        config.Data.Path = ConfigFile.Resolve(path, config.Data.Path);
        config.Data.Contract = config.Data.Contract is null ? null : ConfigFile.Resolve(path, config.Data.Contract);
        if (config.Health is { Length: > 0 } health)
        {
            ConfigFile.Endpoint(health, $"{path}: health");
        }

        return config;
    }

    private static void Require(string? value, string path, string field)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ConfigurationException($"{path}: {field}: required.");
        }
    }
}

/// <summary>The site's local data.</summary>
public sealed class NodeDataConfig
{
    /// <summary>The dataset file or folder (replaces the job's <c>data.path</c>).</summary>
    public string Path { get; set; } = "";

    /// <summary>This site's name inside the dataset (e.g. a FLamby center).</summary>
    public string Site { get; set; } = "";

    /// <summary>The data contract (replaces the job's <c>data.contract</c>), for CSV data.</summary>
    public string? Contract { get; set; }
}

/// <summary>A lifetime privacy budget.</summary>
public sealed class NodeBudgetConfig
{
    /// <summary>The lifetime ε.</summary>
    public double Epsilon { get; set; }

    /// <summary>The δ at which ε is counted.</summary>
    public double Delta { get; set; } = 1e-5;
}

/// <summary>How the site officer is told that a job waits for approval (node configuration <c>approval:</c>).</summary>
public sealed class NodeApprovalConfig
{
    /// <summary>A command run once when a job starts waiting (its details in <c>CONSORTIA_*</c> environment variables); none when empty.</summary>
    public string? NotifyCommand { get; set; }

    /// <summary>A URL that receives an HTTP POST with the job's details as JSON once when a job starts waiting; none when empty.</summary>
    public string? NotifyWebhook { get; set; }
}
