namespace Consortia.Network.Configuration;

/// <summary>The coordinator's configuration (<c>coordinator.yaml</c>); see docs/deployment.md.</summary>
public sealed class CoordinatorConfig
{
    /// <summary>The coordinator home made by <c>consortia provision</c> (CA, certificates, databases).</summary>
    public string Home { get; set; } = ".";

    /// <summary>Where each endpoint listens.</summary>
    public ListenConfig Listen { get; set; } = new();

    /// <summary>How long a round waits for sites before counting the missing ones as dropped.</summary>
    public string RoundTimeout { get; set; } = "10m";

    /// <summary>How long a job waits for its sites to confirm they can run it before trying again.</summary>
    public string JobStartTimeout { get; set; } = "2m";

    /// <summary>
    /// How many jobs run at once (each with its own sites and rounds); later submissions wait in the queue
    /// until one ends. Every running job holds its model and its sites' replies in memory.
    /// </summary>
    public int MaxConcurrentJobs { get; set; } = 4;

    /// <summary>Where jobs, rounds and checkpoints are kept: SQLite in the home (default) or PostgreSQL.</summary>
    public StoreConfig Store { get; set; } = new();

    /// <summary>
    /// The consortia the coordinator hosts beside its default one (<c>consortia:</c>): each with its own roster, agreement
    /// and ledger. Empty (the default): the coordinator serves one consortium, its home's roster and ledger.
    /// </summary>
    public List<ConsortiumConfig> Consortia { get; set; } = [];

    /// <summary><see cref="RoundTimeout"/> as a duration.</summary>
    public TimeSpan RoundTimeoutSpan => ConfigFile.Duration(RoundTimeout, "round_timeout");

    /// <summary><see cref="JobStartTimeout"/> as a duration.</summary>
    public TimeSpan JobStartTimeoutSpan => ConfigFile.Duration(JobStartTimeout, "job_start_timeout");

    /// <summary>Reads and checks a coordinator configuration file; paths become absolute.</summary>
    /// <exception cref="ConfigurationException">The file is missing, malformed or inconsistent.</exception>
    public static CoordinatorConfig Load(string path)
    {
        CoordinatorConfig config = ConfigFile.Load<CoordinatorConfig>(path);
        config.Home = ConfigFile.Resolve(path, config.Home);
        try
        {
            _ = config.RoundTimeoutSpan;
            _ = config.JobStartTimeoutSpan;
            if (config.MaxConcurrentJobs is < 1 or > 256)
            {
                throw new ConfigurationException($"max_concurrent_jobs: expected a number from 1 to 256, got {config.MaxConcurrentJobs}.");
            }

            int[] ports =
            [
                ConfigFile.Endpoint(config.Listen.Sites, "listen.sites").Port,
                ConfigFile.Endpoint(config.Listen.Enrollment, "listen.enrollment").Port,
                ConfigFile.Endpoint(config.Listen.Admin, "listen.admin").Port,
                ConfigFile.Endpoint(config.Listen.Health, "listen.health").Port,
                .. config.Listen.Dashboard is { } dashboard ? [ConfigFile.Endpoint(dashboard, "listen.dashboard").Port] : Array.Empty<int>(),
            ];
            if (ports.Distinct().Count() != ports.Length)
            {
                throw new ConfigurationException($"listen: the {ports.Length} endpoints need {ports.Length} different ports (the connection's local port decides what it may reach).");
            }
        }
        catch (ConfigurationException e)
        {
            throw new ConfigurationException($"{path}: {e.Message}", e);
        }

        config.Store.Check(path);
        HashSet<string> names = new(StringComparer.Ordinal);
        for (int i = 0; i < config.Consortia.Count; i++)
        {
            config.Consortia[i].Check(path, i, config.Home, names);
        }

        return config;
    }
}

/// <summary>The coordinator's endpoints (host:port each).</summary>
public sealed class ListenConfig
{
    /// <summary>Site nodes' gRPC endpoint: mutual TLS, client certificates required.</summary>
    public string Sites { get; set; } = "0.0.0.0:7443";

    /// <summary>Enrollment endpoint: TLS (nodes have no certificate yet), enrollment tokens only.</summary>
    public string Enrollment { get; set; } = "0.0.0.0:7444";

    /// <summary>Admin API: TLS and the admin bearer credential; keep it inside the operators' network.</summary>
    public string Admin { get; set; } = "127.0.0.1:7445";

    /// <summary>Plain HTTP <c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c>.</summary>
    public string Health { get; set; } = "0.0.0.0:9090";

    /// <summary>
    /// The read-only web dashboard (HTTPS with the coordinator's server certificate, HTTP/1.1, the admin credential),
    /// e.g. <c>127.0.0.1:7446</c>; <see langword="null"/> (the default): not served.
    /// </summary>
    public string? Dashboard { get; set; }
}

/// <summary>
/// The job store (<c>store:</c>): <c>kind: sqlite</c> (default; <c>coordinator.db</c> in the home) or
/// <c>kind: postgresql</c> with an Npgsql connection string, given inline (<c>connection</c>) or, to keep a password
/// out of files, in an environment variable (<c>connection_env</c>). See docs/operations.md, "Choosing the store".
/// </summary>
public sealed class StoreConfig
{
    /// <summary>The SQLite store, embedded in the coordinator home.</summary>
    public const string Sqlite = "sqlite";

    /// <summary>The PostgreSQL store (several replicas: one active, the others standby).</summary>
    public const string PostgreSql = "postgresql";

    /// <summary><c>sqlite</c> or <c>postgresql</c>.</summary>
    public string Kind { get; set; } = Sqlite;

    /// <summary>PostgreSQL: the connection string, e.g. <c>Host=db.internal;Database=consortia;Username=consortia</c>.</summary>
    public string? Connection { get; set; }

    /// <summary>PostgreSQL: the environment variable holding the connection string (instead of <see cref="Connection"/>).</summary>
    public string? ConnectionEnv { get; set; }

    /// <summary>Checkpoints kept per job (the newest one is always kept); 5 when absent.</summary>
    public int? CheckpointsToKeep { get; set; }

    /// <summary>Whether the store is PostgreSQL.</summary>
    public bool IsPostgreSql => string.Equals(Kind, PostgreSql, StringComparison.Ordinal);

    /// <summary>The PostgreSQL connection string, from <see cref="Connection"/> or the variable <see cref="ConnectionEnv"/> names.</summary>
    /// <exception cref="ConfigurationException">Neither gives one.</exception>
    public string ResolveConnection() =>
        Connection is { Length: > 0 } inline ? inline
        : ConnectionEnv is { Length: > 0 } variable && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : throw new ConfigurationException(ConnectionEnv is { Length: > 0 }
            ? $"store.connection_env: the environment variable {ConnectionEnv} is not set."
            : "store.connection: required when store.kind is postgresql (or store.connection_env).");

    /// <summary>Checks the section; errors name the file, the line and the field.</summary>
    internal void Check(string path)
    {
        string Where(string field) => ConfigFile.Where(path, ["store", field]);
        if (!IsPostgreSql && !string.Equals(Kind, Sqlite, StringComparison.Ordinal))
        {
            throw new ConfigurationException($"{Where("kind")}: store.kind: expected sqlite or postgresql, got '{Kind}'.");
        }

        if (CheckpointsToKeep is < 1)
        {
            throw new ConfigurationException($"{Where("checkpoints_to_keep")}: store.checkpoints_to_keep: expected at least 1, got {CheckpointsToKeep}.");
        }

        if (!IsPostgreSql)
        {
            if (Connection is not null || ConnectionEnv is not null)
            {
                throw new ConfigurationException($"{Where(Connection is not null ? "connection" : "connection_env")}: store: a connection is only for kind: postgresql (SQLite lives in the home).");
            }

            return;
        }

        if (Connection is { Length: > 0 } && ConnectionEnv is { Length: > 0 })
        {
            throw new ConfigurationException($"{Where("connection_env")}: store: give connection or connection_env, not both.");
        }

        string field = Connection is { Length: > 0 } ? "connection" : "connection_env";
        try
        {
            Stores.PostgreSql.PostgresJobStoreOptions.Describe(ResolveConnection());
        }
        catch (ConfigurationException e)
        {
            throw new ConfigurationException($"{Where(field)}: {e.Message}", e);
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException($"{Where(field)}: store.{field}: {e.Message}", e);
        }
    }
}

/// <summary>
/// One hosted consortium (an item of <c>consortia:</c>): its name (what job files give as <c>consortium:</c>), the roster
/// the coordinator serves for it and dispatches to, the agreement its jobs must satisfy, and its own ledger. Paths are
/// resolved against the configuration file's folder. See docs/configuration.md.
/// </summary>
public sealed class ConsortiumConfig
{
    /// <summary>The consortium's name (docs/job-file.md, <c>consortium:</c>).</summary>
    public string Name { get; set; } = "";

    /// <summary>The roster file (format consortia.roster.v1, written by <c>consortia roster add --roster FILE</c>).</summary>
    public string Roster { get; set; } = "";

    /// <summary>The agreement file (<c>agreement.yaml</c>, docs/agreement.md).</summary>
    public string Agreement { get; set; } = "";

    /// <summary>The agreement's signatures file; by default beside the agreement.</summary>
    public string? Signatures { get; set; }

    /// <summary>The consortium's ledger; by default <c>HOME/ledgers/consortium-NAME.db</c>.</summary>
    public string? Ledger { get; set; }

    /// <summary>Checks item <paramref name="index"/> and makes its paths absolute; errors name the file, the line and the field.</summary>
    internal void Check(string path, int index, string home, HashSet<string> names)
    {
        string Field(string key) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"consortia[{index}].{key}");
        string Where(string key) => ConfigFile.Where(path, ["consortia", index.ToString(System.Globalization.CultureInfo.InvariantCulture), key]);
        if (!Governance.Roster.ConsortiumName.IsValid(Name))
        {
            throw new ConfigurationException($"{Where("name")}: {Field("name")}: expected a consortium name ({Governance.Roster.ConsortiumName.Expected}), got '{Name}'.");
        }

        if (!names.Add(Name))
        {
            throw new ConfigurationException($"{Where("name")}: {Field("name")}: the consortium '{Name}' is listed twice.");
        }

        foreach ((string key, string value) in new[] { ("roster", Roster), ("agreement", Agreement) })
        {
            if (value.Length == 0)
            {
                throw new ConfigurationException($"{Where(key)}: {Field(key)}: required (the consortium's {key} file).");
            }
        }

        Roster = ConfigFile.Resolve(path, Roster);
        Agreement = ConfigFile.Resolve(path, Agreement);
        Signatures = Signatures is { Length: > 0 } signatures ? ConfigFile.Resolve(path, signatures) : Governance.Agreements.AgreementSignatures.DefaultPath(Agreement);
        Ledger = Ledger is { Length: > 0 } ledger ? ConfigFile.Resolve(path, ledger) : System.IO.Path.Combine(home, "ledgers", $"consortium-{Name}.db");
        foreach ((string key, string file) in new[] { ("roster", Roster), ("agreement", Agreement) })
        {
            if (!File.Exists(file))
            {
                throw new ConfigurationException($"{Where(key)}: {Field(key)}: no such file: {file}.");
            }
        }
    }
}
