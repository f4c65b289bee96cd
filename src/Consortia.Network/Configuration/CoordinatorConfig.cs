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
            ];
            if (ports.Distinct().Count() != ports.Length)
            {
                throw new ConfigurationException("listen: the four endpoints need four different ports.");
            }
        }
        catch (ConfigurationException e)
        {
            throw new ConfigurationException($"{path}: {e.Message}", e);
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
}
