using System.Diagnostics;
using System.Globalization;
using System.Text;
using Consortia.Federation.Jobs.Store;
using Consortia.Network.Configuration;
using Consortia.Network.Coordinator;
using Consortia.Network.Identity;
using Consortia.Network.Node;
using Microsoft.Extensions.Logging;

namespace Consortia.Cli.Deployment;

/// <summary>What <c>consortia bench deployment</c> runs.</summary>
/// <param name="Nodes">How many site nodes (each with its own enrolled identity).</param>
/// <param name="Rounds">How many rounds the job runs.</param>
/// <param name="DataFolder">The Fed-Heart-Disease folder (the four UCI files); its rows are spread over the nodes.</param>
/// <param name="Contract">The data contract of the generated CSV (data/contracts/heart-disease-sites.yaml).</param>
/// <param name="Timeout">How long setup plus the job may take.</param>
internal sealed record DeploymentBenchSettings(int Nodes, int Rounds, string DataFolder, string Contract, TimeSpan Timeout)
{
    /// <summary>The rows each node holds at least (rows repeat across nodes when there are more nodes than the data covers).</summary>
    public const int MinRowsPerNode = 24;

    /// <summary>Local mini-batches per node per round: small, so the figures measure the deployment rather than the training.</summary>
    public const int LocalSteps = 5;

    /// <summary>Why the settings cannot run, or <see langword="null"/>.</summary>
    public string? Validate() =>
        Nodes is < 1 or > 1000 ? $"--nodes must be in [1, 1000], got {Nodes}."
        : Rounds is < 1 or > 10_000 ? $"--rounds must be in [1, 10000], got {Rounds}."
        : !Directory.Exists(DataFolder) ? $"--data: {DataFolder} is not a folder (expected the Fed-Heart-Disease folder with processed.*.data)."
        : !File.Exists(Contract) ? $"--contract: {Contract} does not exist (expected data/contracts/heart-disease-sites.yaml)."
        : null;
}

/// <summary>A resource of the coordinator process at the start and end of the job.</summary>
/// <param name="Start">Before the job was submitted (every node connected).</param>
/// <param name="End">After the job ended.</param>
internal sealed record Growth(long Start, long End)
{
    /// <summary><see cref="End"/> minus <see cref="Start"/>.</summary>
    public long Delta => End - Start;
}

/// <summary>What <c>consortia bench deployment</c> measured.</summary>
internal sealed record DeploymentBenchResult(
    DeploymentBenchSettings Settings,
    string Status,
    string Message,
    int RowsPerNode,
    int DistinctRows,
    IReadOnlyList<int> ParticipantsPerRound,
    IReadOnlyList<double> RoundMilliseconds,
    TimeSpan Setup,
    TimeSpan Job,
    TimeSpan Total,
    TimeSpan CoordinatorCpu,
    Growth WorkingSet,
    Growth ManagedHeap,
    double LoadAverageAtStart,
    double LoadAverageAtEnd)
{
    /// <summary>Whether the job completed and every one of its rounds aggregated the updates of every node.</summary>
    public bool EveryRoundFull => Status == "completed" && ParticipantsPerRound.Count == Settings.Rounds && ParticipantsPerRound.All(p => p == Settings.Nodes);

    /// <summary>The <paramref name="percent"/> percentile (nearest rank) of the round latencies, in milliseconds.</summary>
    public double Percentile(double percent)
    {
        if (RoundMilliseconds.Count == 0)
        {
            return double.NaN;
        }

        double[] sorted = [.. RoundMilliseconds.Order()];
        int rank = (int)Math.Ceiling(percent / 100 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>
/// <c>consortia bench deployment</c>: a real coordinator process and N real site nodes over mutual-TLS gRPC on loopback.
/// The coordinator is <c>consortia coordinator</c> in its own process (so its CPU time and memory are its own); the
/// nodes share this process, each a <see cref="NodeHost"/> with its own key, certificate (from a one-time token through
/// the coordinator's enrollment service), state folder and configuration file. The job is FedAvg logistic regression
/// on the shipped Fed-Heart-Disease rows, spread over the nodes as one CSV with a site column.
/// </summary>
internal static class DeploymentBench
{
    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(500);

    /// <summary>Sets up the consortium, runs the job, measures it and stops every process and node.</summary>
    /// <exception cref="LocalDeploymentException">Setup failed or the job did not end in time.</exception>
    /// <remarks>Wall times are read from <paramref name="time"/>'s timestamps (the system clock at the composition root).</remarks>
    public static async Task<DeploymentBenchResult> RunAsync(DeploymentBenchSettings settings, IProgress<string> progress, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(progress);
        ArgumentNullException.ThrowIfNull(time);
        long started = time.GetTimestamp();
        double loadAtStart = LoadAverage();
        using CancellationTokenSource limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(settings.Timeout);
        LocalConsortiumOptions options = new()
        {
            Root = Path.Combine(Path.GetTempPath(), "consortia-bench-" + Guid.NewGuid().ToString("N")),
            ConsortiumName = "bench",
            CommandTimeout = TimeSpan.FromMinutes(2),
            DeleteRootOnDispose = true,
        };

        await using LocalConsortium consortium = await LocalConsortium.ProvisionAsync(options, limit.Token).ConfigureAwait(false);
        (string csv, int rowsPerNode, int distinct) = WriteRows(settings, consortium.Root);
        string policy = Path.Combine(consortium.Root, "bench-policy.yaml");
        await File.WriteAllTextAsync(policy, PolicyYaml, limit.Token).ConfigureAwait(false);
        consortium.JobStartTimeout = "10m";
        await consortium.StartCoordinatorAsync("5m", limit.Token).ConfigureAwait(false);
        progress.Report($"coordinator ready (pid {consortium.Coordinator!.Id}); enrolling {settings.Nodes} node(s)");

        using CancellationTokenSource stopNodes = new();
        List<Task> nodes = [];
        try
        {
            string[] names = [.. Enumerable.Range(1, settings.Nodes).Select(SiteName)];
            using (CoordinatorIdentity identity = CoordinatorIdentity.Open(consortium.Home, time))
            {
                Uri enrollment = new(string.Create(CultureInfo.InvariantCulture, $"https://127.0.0.1:{consortium.EnrollmentPort}"));
                foreach (string site in names)
                {
                    string folder = Directory.CreateDirectory(consortium.SiteFolder(site)).FullName;
                    string token = identity.CreateToken(site, TimeSpan.FromHours(1));
                    await NodeEnrollment.EnrollAsync(enrollment, token, Path.Combine(folder, "identity"), time, limit.Token).ConfigureAwait(false);
                    string config = Path.Combine(folder, "site.yaml");
                    await File.WriteAllTextAsync(config, NodeYaml(site, consortium.SitesPort, csv, settings.Contract, policy), limit.Token).ConfigureAwait(false);
                    NodeConfig loaded = NodeConfig.Load(config);
                    nodes.Add(Task.Run(() => NodeHost.RunAsync(loaded, QuietLogging, time, stopNodes.Token), CancellationToken.None));
                }
            }

            using JobAdminClient admin = consortium.ConnectAdmin();
            await WaitForConnectedAsync(admin, settings.Nodes, nodes, progress, time, limit.Token).ConfigureAwait(false);
            TimeSpan setup = time.GetElapsedTime(started);

            using Process coordinator = Process.GetProcessById(consortium.Coordinator.Id);
            using HttpClient http = new();
            Uri metrics = new(string.Create(CultureInfo.InvariantCulture, $"http://127.0.0.1:{consortium.HealthPort}/metrics"));
            (long heapStart, TimeSpan cpuStart, long setStart) = await SampleAsync(coordinator, http, metrics, limit.Token).ConfigureAwait(false);
            long jobStarted = time.GetTimestamp();
            JobOverview submitted = await admin.SubmitAsync(JobYaml(settings, csv), "bench-deployment.yaml", limit.Token).ConfigureAwait(false);
            progress.Report($"job {submitted.JobId} submitted: {settings.Rounds} round(s) on {settings.Nodes} node(s)");
            JobOverview ended = await WaitForEndAsync(admin, submitted.JobId, progress, consortium, time, limit.Token).ConfigureAwait(false);
            TimeSpan job = time.GetElapsedTime(jobStarted);
            (long heapEnd, TimeSpan cpuEnd, long setEnd) = await SampleAsync(coordinator, http, metrics, limit.Token).ConfigureAwait(false);

            await stopNodes.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(nodes).ConfigureAwait(false);
            await consortium.StopAsync().ConfigureAwait(false);

            // The coordinator's own account of each round (its duration and contributors), from its store.
            using SqliteJobStore store = SqliteJobStore.Open(new SqliteJobStoreOptions { Path = Path.Combine(consortium.Home, "coordinator.db") }, time);
            IReadOnlyList<StoredRound> rounds = store.GetRounds(submitted.JobId);
            return new DeploymentBenchResult(
                settings, ended.Status, ended.Message, rowsPerNode, distinct,
                [.. rounds.Select(r => r.Report.Aggregated ? r.Report.Contributors.Count : 0)],
                [.. rounds.Select(r => r.Report.Elapsed.TotalMilliseconds)],
                setup, job, time.GetElapsedTime(started), cpuEnd - cpuStart,
                new Growth(setStart, setEnd), new Growth(heapStart, heapEnd),
                loadAtStart, LoadAverage());
        }
        finally
        {
            await stopNodes.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(nodes.Select(n => n.ContinueWith(_ => { }, TaskScheduler.Default))).ConfigureAwait(false);
        }
    }

    /// <summary>The site name of node <paramref name="index"/> (from 1), sortable: <c>node-001</c>.</summary>
    public static string SiteName(int index) => string.Create(CultureInfo.InvariantCulture, $"node-{index:D3}");

    /// <summary>
    /// Writes the heart-disease rows as one CSV with a <c>site</c> column (the format of data/contracts/heart-disease-sites.yaml):
    /// the UCI files' rows without a missing value in the ten features or the label, label binarised (num &gt; 0).
    /// Node <c>i</c> gets <c>max(24, rows / nodes)</c> consecutive rows from row <c>i · rows / nodes</c>, wrapping
    /// around, so that every node has enough rows to split and standardise; with more nodes than that allows, rows repeat across nodes.
    /// </summary>
    private static (string Path, int RowsPerNode, int Distinct) WriteRows(DeploymentBenchSettings settings, string root)
    {
        List<string> pool = [];
        foreach (string file in Directory.GetFiles(settings.DataFolder, "processed.*.data").Order(StringComparer.Ordinal))
        {
            foreach (string line in File.ReadLines(file))
            {
                string[] fields = line.Trim().Split(',');
                if (fields.Length < 14 || fields.Take(10).Append(fields[13]).Any(f => f.Trim() is "?" or ""))
                {
                    continue;
                }

                IEnumerable<string> features = fields.Take(10).Select(Number);
                string disease = double.Parse(fields[13], CultureInfo.InvariantCulture) > 0 ? "1" : "0";
                pool.Add(string.Join(',', features.Append(disease)));
            }
        }

        if (pool.Count < DeploymentBenchSettings.MinRowsPerNode)
        {
            throw new LocalDeploymentException($"{settings.DataFolder}: found {pool.Count} complete rows in processed.*.data; the bench needs at least {DeploymentBenchSettings.MinRowsPerNode}.");
        }

        int stride = Math.Max(1, pool.Count / settings.Nodes);
        int perNode = Math.Max(DeploymentBenchSettings.MinRowsPerNode, stride);
        StringBuilder csv = new("site,age,sex,cp,trestbps,chol,fbs,restecg,thalach,exang,oldpeak,disease\n");
        for (int node = 0; node < settings.Nodes; node++)
        {
            for (int j = 0; j < perNode; j++)
            {
                csv.Append(SiteName(node + 1)).Append(',').Append(pool[((node * stride) + j) % pool.Count]).Append('\n');
            }
        }

        string path = Path.Combine(root, "heart-rows.csv");
        File.WriteAllText(path, csv.ToString());
        return (path, perNode, Math.Min(pool.Count, (settings.Nodes - 1) * stride + perNode));

        // "63.0" → "63" (binary and categorical levels are integers in the contract); "2.3" stays.
        static string Number(string field)
        {
            double value = double.Parse(field, CultureInfo.InvariantCulture);
            return value == Math.Floor(value) ? ((long)value).ToString(CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture);
        }
    }

    private const string Columns = "[age, sex, cp, trestbps, chol, fbs, restecg, thalach, exang, oldpeak, disease]";

    /// <summary>Every node's policy: the bench's consortium, plain FedAvg, small cells allowed (a node holds a few dozen rows).</summary>
    private const string PolicyYaml = $"""
        version: 1
        consortia: [bench]
        owners: [bench@localhost]
        models: [logistic]
        strategies: [fedavg]
        protections:
          secure_aggregation: false
          min_sites_per_aggregate: 1
          differential_privacy:
            required: false
            epsilon_ceiling_per_job: 8.0
            lifetime_epsilon_budget: 20.0
            delta: 1.0e-5
        outputs:
          masked_updates: true
          plain_updates: true
          aggregate_metrics: true
          min_cell_count: 1
        columns: {Columns}

        """;

    private static string NodeYaml(string site, int sitesPort, string csv, string contract, string policy) => string.Create(CultureInfo.InvariantCulture, $"""
        site: {site}
        coordinator: https://127.0.0.1:{sitesPort}
        identity: identity
        state: state
        policy: {policy}
        max_concurrent_tasks: 1
        data:
          path: {csv}
          site: {site}
          contract: {Path.GetFullPath(contract)}

        """);

    private static string JobYaml(DeploymentBenchSettings settings, string csv) => string.Create(CultureInfo.InvariantCulture, $"""
        version: 1
        name: bench-deployment
        consortium: bench
        owner: bench@localhost
        seed: 7
        data:
          format: csv
          path: {csv}
          contract: {Path.GetFullPath(settings.Contract)}
          site_column: site
          columns: {Columns}
        model:
          kind: logistic
        training:
          rounds: {settings.Rounds}
          min_participants: {settings.Nodes}
          local_steps: {DeploymentBenchSettings.LocalSteps}
          batch_size: 4
          optimizer:
            kind: sgd
            learning_rate: 0.01
        strategy:
          kind: fedavg
        evaluation:
          metrics: [accuracy, log_loss]
          every: 1

        """);

    /// <summary>The nodes log their warnings and errors only: a hundred nodes' routine lines would drown the figures.</summary>
    private static void QuietLogging(ILoggingBuilder builder) =>
        builder.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true).AddFilter((_, level) => level >= LogLevel.Warning);

    private static async Task WaitForConnectedAsync(JobAdminClient admin, int expected, List<Task> nodes, IProgress<string> progress, TimeProvider time, CancellationToken cancellationToken)
    {
        int last = -1;
        while (true)
        {
            if (nodes.FirstOrDefault(n => n.IsCompleted) is { } ended)
            {
                await ended.ConfigureAwait(false); // throws what stopped the node
                throw new LocalDeploymentException("a node stopped before the job started");
            }

            int connected = (await admin.ListSitesAsync(cancellationToken).ConfigureAwait(false)).Count(s => s.Connected);
            if (connected != last)
            {
                progress.Report($"{connected} of {expected} node(s) connected");
                last = connected;
            }

            if (connected == expected)
            {
                return;
            }

            await Task.Delay(s_poll, time, cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<JobOverview> WaitForEndAsync(JobAdminClient admin, string jobId, IProgress<string> progress, LocalConsortium consortium, TimeProvider time, CancellationToken cancellationToken)
    {
        int reported = 0;
        while (true)
        {
            if (consortium.FirstExited() is { } exited)
            {
                throw new LocalDeploymentException($"{exited.Name} exited (code {exited.ExitCode}) during the job:\n{exited.Output}");
            }

            JobOverview job = await admin.GetAsync(jobId, cancellationToken).ConfigureAwait(false);
            if (job.RoundsCompleted / 10 > reported / 10 || !job.IsActive)
            {
                progress.Report($"round {job.RoundsCompleted} of {job.RoundsTotal} ({job.Status})");
                reported = job.RoundsCompleted;
            }

            if (!job.IsActive)
            {
                return job;
            }

            await Task.Delay(s_poll, time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The coordinator's managed heap (its <c>/metrics</c>), CPU time and working set (the kernel's account of the process).</summary>
    private static async Task<(long ManagedHeap, TimeSpan Cpu, long WorkingSet)> SampleAsync(Process coordinator, HttpClient http, Uri metrics, CancellationToken cancellationToken)
    {
        string text = await http.GetStringAsync(metrics, cancellationToken).ConfigureAwait(false);
        long heap = text.Split('\n')
            .Where(l => l.StartsWith("dotnet_total_memory_bytes ", StringComparison.Ordinal))
            .Select(l => (long)double.Parse(l["dotnet_total_memory_bytes ".Length..], CultureInfo.InvariantCulture))
            .FirstOrDefault(-1);
        coordinator.Refresh();
        return (heap, coordinator.TotalProcessorTime, coordinator.WorkingSet64);
    }

    /// <summary>The machine's one-minute load average (/proc/loadavg), or NaN where there is none.</summary>
    private static double LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return double.NaN;
        }
        catch (UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }
}
