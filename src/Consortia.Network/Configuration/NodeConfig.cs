using Consortia.Governance.Agreements;
using Consortia.Governance.Roster;

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
    /// The node's training speed as the operator states it, reported to the coordinator instead of the node's own
    /// measurement; none when absent (the node measures it from its training tasks).
    /// </summary>
    public NodeCapacityConfig? Capacity { get; set; }

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

    /// <summary>
    /// The consortia this node serves, each with its own policy, budget, data mapping, roster and agreement (one
    /// hospital in several consortia, one process). Empty: the node serves one consortium with the top-level
    /// <see cref="Policy"/>, <see cref="Budget"/> and <see cref="Data"/>.
    /// </summary>
    public List<NodeConsortiumConfig> Consortia { get; set; } = [];

    /// <summary>
    /// What the node holds for each consortium it serves: with <see cref="Consortia"/> one membership each (state in
    /// <c>STATE/consortia/NAME</c>), else one membership without a name over the top-level settings and the state folder.
    /// </summary>
    /// <returns>The memberships, in configuration order.</returns>
    public IReadOnlyList<NodeMembership> Memberships() => Consortia.Count == 0
        ? [new NodeMembership(null, Policy, Budget, Data, State, null)]
        : [.. Consortia.Select(c => new NodeMembership(
            c.Name,
            c.Policy,
            c.Budget,
            c.Data ?? Data,
            System.IO.Path.Combine(State, "consortia", c.Name),
            c.Agreement is { } a ? new AgreementReference(a.File, a.Signatures ?? AgreementSignatures.DefaultPath(a.File)) : null))];

    /// <summary>The membership a job of <paramref name="consortium"/> runs under, or <see langword="null"/> when the node is not in it.</summary>
    /// <param name="consortium">The job's consortium.</param>
    /// <returns>The membership: the consortium's own, or the single one when the node lists no <see cref="Consortia"/>.</returns>
    public NodeMembership? Membership(string consortium) => Consortia.Count == 0
        ? Memberships()[0]
        : Memberships().FirstOrDefault(m => string.Equals(m.Consortium, consortium, StringComparison.Ordinal));

    /// <summary>Reads and checks a node configuration file; paths become absolute.</summary>
    /// <exception cref="ConfigurationException">The file is missing, malformed or incomplete.</exception>
    public static NodeConfig Load(string path)
    {
        NodeConfig config = ConfigFile.Load<NodeConfig>(path);
        Require(config.Site, path, "site");
        Require(config.Coordinator, path, "coordinator");
        CheckConsortia(config, path);
        if (config.Consortia.Count == 0 || config.Consortia.Any(c => c.Data is null))
        {
            Require(config.Data.Path, path, "data.path");
            Require(config.Data.Site, path, "data.site");
        }
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

        if (config.Capacity is { } capacity && !(double.IsFinite(capacity.ExamplesPerSecond) && capacity.ExamplesPerSecond > 0))
        {
            throw new ConfigurationException($"{path}: capacity.examples_per_second: expected a positive number of training examples per second, got {capacity.ExamplesPerSecond}.");
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
        foreach (NodeConsortiumConfig consortium in config.Consortia)
        {
            consortium.Policy = ConfigFile.Resolve(path, consortium.Policy);
            if (consortium.Data is { } data)
            {
                data.Path = ConfigFile.Resolve(path, data.Path);
                data.Contract = data.Contract is null ? null : ConfigFile.Resolve(path, data.Contract);
            }

            if (consortium.Agreement is { } agreement)
            {
                agreement.File = ConfigFile.Resolve(path, agreement.File);
                agreement.Signatures = agreement.Signatures is null ? null : ConfigFile.Resolve(path, agreement.Signatures);
            }
        }

        if (config.Health is { Length: > 0 } health)
        {
            ConfigFile.Endpoint(health, $"{path}: health");
        }

        return config;
    }

    /// <summary>Checks the <c>consortia:</c> list: names valid and distinct, each with a policy; no top-level policy or budget beside it (which would apply to which consortium?).</summary>
    private static void CheckConsortia(NodeConfig config, string path)
    {
        if (config.Consortia.Count == 0)
        {
            return;
        }

        if (config.Policy is not null || config.Budget is not null)
        {
            throw new ConfigurationException($"{path}: {(config.Policy is not null ? "policy" : "budget")}: with consortia:, each consortium names its own policy and budget; move it into the consortium it belongs to.");
        }

        HashSet<string> names = new(StringComparer.Ordinal);
        for (int i = 0; i < config.Consortia.Count; i++)
        {
            NodeConsortiumConfig consortium = config.Consortia[i];
            string field = $"consortia[{i}]";
            if (!ConsortiumName.IsValid(consortium.Name))
            {
                throw new ConfigurationException($"{path}: {field}.name: expected {ConsortiumName.Expected}, got '{consortium.Name}'.");
            }

            if (!names.Add(consortium.Name))
            {
                throw new ConfigurationException($"{path}: {field}.name: consortium '{consortium.Name}' is listed twice.");
            }

            Require(consortium.Policy, path, field + ".policy");
            if (consortium.Data is { } data)
            {
                Require(data.Path, path, field + ".data.path");
                Require(data.Site, path, field + ".data.site");
            }

            if (consortium.Budget is { } budget && (!(budget.Epsilon > 0) || !double.IsFinite(budget.Epsilon) || !(budget.Delta > 0 && budget.Delta < 1)))
            {
                throw new ConfigurationException($"{path}: {field}.budget: expected epsilon > 0 and delta in (0, 1), got {budget.Epsilon} and {budget.Delta}.");
            }

            if (consortium.Agreement is { } agreement)
            {
                Require(agreement.File, path, field + ".agreement.file");
            }
        }
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

    /// <summary>
    /// The columns of the site's data it declares sensitive (<c>sensitive: [sex, age]</c>): a fairness audit may group
    /// its records by these columns only; an audit by any other column is refused (rule <c>audit-attribute</c>). Empty: the
    /// site answers audits by the site attribute alone.
    /// </summary>
    public List<string> Sensitive { get; set; } = [];
}

/// <summary>The node's training speed as the operator states it (node configuration <c>capacity:</c>).</summary>
public sealed class NodeCapacityConfig
{
    /// <summary>Training examples per second on this machine; the coordinator sizes the site's local steps to a round's deadline from it.</summary>
    public double ExamplesPerSecond { get; set; }
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

/// <summary>One consortium a node serves (an item of <c>consortia:</c> in <c>site.yaml</c>).</summary>
public sealed class NodeConsortiumConfig
{
    /// <summary>The consortium's name, as jobs declare it (<c>consortium:</c>) and its roster and agreement name it.</summary>
    public string Name { get; set; } = "";

    /// <summary>The site's policy for this consortium's jobs (e.g. written by <c>consortia agreement policy</c>); required.</summary>
    public string Policy { get; set; } = "";

    /// <summary>The site's lifetime privacy budget in this consortium (its own ledger in <c>STATE/consortia/NAME</c>); else the policy's.</summary>
    public NodeBudgetConfig? Budget { get; set; }

    /// <summary>The data this consortium's jobs read; the top-level <c>data:</c> when absent.</summary>
    public NodeDataConfig? Data { get; set; }

    /// <summary>The consortium agreement the site enforces on this consortium's jobs (besides any its policy names, which it replaces).</summary>
    public NodeAgreementConfig? Agreement { get; set; }
}

/// <summary>A consortium agreement and its signatures (node configuration <c>consortia[].agreement</c>).</summary>
public sealed class NodeAgreementConfig
{
    /// <summary>The agreement file (<c>agreement.yaml</c>).</summary>
    public string File { get; set; } = "";

    /// <summary>Its signatures file; beside the agreement (<c>NAME.signatures.json</c>) when absent.</summary>
    public string? Signatures { get; set; }
}

/// <summary>What a node holds for one consortium it serves.</summary>
/// <param name="Consortium">The consortium's name; <see langword="null"/> for a node without <c>consortia:</c> (it takes every consortium's jobs under its one policy).</param>
/// <param name="Policy">The policy file, or <see langword="null"/> (the site then refuses every job).</param>
/// <param name="Budget">The lifetime privacy budget from the configuration, or <see langword="null"/> (the policy's applies).</param>
/// <param name="Data">The data its jobs read.</param>
/// <param name="StateFolder">Where its roster (<c>roster.json</c>), privacy budget and membership record are kept.</param>
/// <param name="Agreement">The agreement it enforces in place of the policy's, or <see langword="null"/>.</param>
public sealed record NodeMembership(string? Consortium, string? Policy, NodeBudgetConfig? Budget, NodeDataConfig Data, string StateFolder, AgreementReference? Agreement);
