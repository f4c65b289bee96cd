using System.Globalization;
using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Simulation;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.Learning.Models;
using Consortia.Network.Coordinator;
using Grpc.Core;

namespace Consortia.Cli.Deployment;

/// <summary>
/// <c>simulate --transport grpc</c>: runs a job on a throw-away consortium of real processes on loopback (a
/// coordinator and one node per site of the job's data, each with its own policy), and returns what the in-process
/// simulation returns, read from the coordinator's store and the processes' ledgers.
/// </summary>
/// <remarks>
/// Each node reads the job's dataset and keeps only its own site, as a hospital's node does with its own data; the
/// sites' policies are the job's <c>policies:</c> entries. Baselines are computed in this process, as the in-process
/// simulation does. Per-site DP-SGD privacy reports stay at the sites and are not part of the result.
/// </remarks>
internal static class DeployedSimulation
{
    /// <summary>How long a round waits for its sites: generous, since every site is a local process and a slow one is only slow, not gone.</summary>
    private const string RoundTimeout = "300s";

    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(250);

    /// <summary>Sets up the consortium, runs the job on it, collects the result and stops every process.</summary>
    /// <param name="job">The job (with <see cref="JobDefinition.SourcePath"/> and <see cref="JobDefinition.SourceText"/>).</param>
    /// <param name="progress">Receives a line per setup step and per completed round.</param>
    /// <param name="outDirectory">Receives <c>ledgers/</c> (every process's audit ledger and public key); none when <see langword="null"/>.</param>
    /// <param name="timeout">How long the job may run.</param>
    /// <param name="cancellationToken">Cancels the run (every process is stopped).</param>
    /// <returns>The result, as the in-process simulation shapes it.</returns>
    /// <exception cref="LocalDeploymentException">A process failed, the job did not complete, or it timed out.</exception>
    public static async Task<SimulationResult> RunAsync(JobDefinition job, IProgress<string>? progress, string? outDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        string jobFile = job.SourcePath ?? throw new ArgumentException("The job has no source file.", nameof(job));
        string baseDirectory = Path.GetDirectoryName(jobFile) ?? ".";
        FederatedDataset data = FederatedDataLoader.Load(job.Data, baseDirectory);
        LocalSite[] sites = Sites(job, data, baseDirectory);
        ModelSpec spec = job.ModelFor(data.Sites[0].Train.FeatureCount);
        spec.Validate();
        string text = job.SourceText ?? await File.ReadAllTextAsync(jobFile, cancellationToken).ConfigureAwait(false);
        if (JobFile.Parse(text, jobFile).Seed != job.Seed)
        {
            // --seed: the coordinator and the sites get the job with that seed (and hash that text in their ledgers).
            text = JobOverrides.Apply(text, [new("seed", job.Seed.ToString(CultureInfo.InvariantCulture))]);
        }

        long started = TimeProvider.System.GetTimestamp(); // wall time of the deployed run (the report's elapsed)
        LocalConsortiumOptions options = new()
        {
            Root = Path.Combine(Path.GetTempPath(), "consortia-grpc-" + Guid.NewGuid().ToString("N")),
            ConsortiumName = job.Consortium ?? job.Name,
            RosterSites = [.. data.Sites.Select(s => s.Name)], // the sites' own trust anchor for secure aggregation
            RosterConsortium = job.Consortium ?? job.Name,
            DeleteRootOnDispose = true,
        };
        await using LocalConsortium consortium = await LocalConsortium.ProvisionAsync(options, cancellationToken).ConfigureAwait(false);

        // Ctrl+C or SIGTERM: the command line gives the action only a moment before the process exits, so the
        // children are killed right in the cancellation callback rather than stopped gracefully afterwards.
        using CancellationTokenRegistration killOnCancel = cancellationToken.Register(consortium.Kill);
        string jobId;
        try
        {
            await consortium.StartCoordinatorAsync(RoundTimeout, cancellationToken).ConfigureAwait(false);
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"coordinator ready (pid {consortium.Coordinator?.Id}, sites port {consortium.SitesPort})"));
            foreach (LocalSite site in sites)
            {
                ConsortiaProcess node = await consortium.EnrollAndStartNodeAsync(site, cancellationToken).ConfigureAwait(false);
                progress?.Report(string.Create(CultureInfo.InvariantCulture, $"site {site.Name} enrolled and connected (pid {node.Id}){(site.Policy is null ? ", no policy: it refuses every job" : "")}"));
            }

            jobId = await RunJobAsync(consortium, text, Path.GetFileName(jobFile), job.Engine.Rounds, progress, timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new LocalDeploymentException(e.Message, e);
        }
        catch (RpcException e)
        {
            throw new LocalDeploymentException($"the coordinator's admin API refused or failed ({e.StatusCode}): {e.Status.Detail}", e);
        }
        finally
        {
            // Stopped gracefully before the store and ledgers are read: every write is then on disk.
            await consortium.StopAsync().ConfigureAwait(false);
        }

        JobResult federated = ReadResult(consortium.Home, jobId, spec, TimeProvider.System.GetElapsedTime(started));
        Federation.Strategies.MetricSummary final = federated.Rounds[^1].Evaluation
            ?? throw new LocalDeploymentException($"job {jobId}: its last round has no evaluation, so there are no final metrics.");
        if (outDirectory is not null)
        {
            CollectLedgers(consortium, sites, Path.Combine(outDirectory, "ledgers"));
        }

        IReadOnlyList<BaselineResult> baselines = job.Baselines is { } b
            ? await Task.Run(() => FederatedSimulation.RunBaselines(job, data, b), cancellationToken).ConfigureAwait(false)
            : [];
        // The text the coordinator and the sites hashed into their ledgers (it differs from the file under --seed).
        return new SimulationResult(job with { SourceText = text }, data.Task, spec, federated, final, baselines)
        {
            // The calibration depends on the job alone; the coordinator computed the same.
            ClientPrivacy = (job.CreateStrategy(ClientDpStrategy.SeededNoise) as ClientDpStrategy)?.Calibration,
            // Each node's own accounting, as it reported it with its last update (the coordinator stored it per round).
            Privacy = Federation.Sites.SitePrivacyReport.LatestOf(federated.Rounds),
        };
    }

    /// <summary>One node per site of the job's data, each reading the job's dataset and keeping its own site.</summary>
    private static LocalSite[] Sites(JobDefinition job, FederatedDataset data, string baseDirectory)
    {
        if (job.Policies is not { } policies)
        {
            throw new LocalDeploymentException(
                "the job has no policies: section; a deployed node without a policy refuses every job, so --transport grpc "
                + "needs each site's policy file (policies: with a site's name or default; see docs/policy.md).");
        }

        string dataPath = Path.GetFullPath(job.Data.Path, baseDirectory);
        string? contract = job.Data.Contract is { } c ? Path.GetFullPath(c, baseDirectory) : null;
        return [.. data.Sites.Select(site => new LocalSite(site.Name, dataPath, site.Name)
        {
            Contract = contract,
            // As in simulation: the site's entry, else the default; listed policies but none for this site means none (it refuses).
            Policy = policies.TryGetValue(site.Name, out string? own) ? own : policies.GetValueOrDefault("default"),
            // No budget: here too, each node's budget is its own policy's (lifetime_epsilon_budget), never the job's.
            SeededRandomness = true, // a simulation over the network reproduces the in-process one, so it is not private either
        })];
    }

    /// <summary>Submits the job and follows it to its end, reporting each round; fails fast if a process dies.</summary>
    private static async Task<string> RunJobAsync(LocalConsortium consortium, string jobText, string fileName, int rounds, IProgress<string>? progress, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using JobAdminClient admin = consortium.ConnectAdmin();
        JobOverview status = await admin.SubmitAsync(jobText, fileName, cancellationToken).ConfigureAwait(false);
        string jobId = status.JobId;
        progress?.Report($"job {jobId} submitted");
        using CancellationTokenSource limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        int shown = 0;
        try
        {
            while (true)
            {
                for (; shown < status.Rounds.Count; shown++)
                {
                    progress?.Report(RoundLine(status.Rounds[shown], rounds));
                }

                if (status.Status is not ("queued" or "running"))
                {
                    break;
                }

                cancellationToken.ThrowIfCancellationRequested(); // a Ctrl+C in a terminal also stops the children: not their failure
                if (consortium.FirstExited() is { } ended)
                {
                    throw new LocalDeploymentException(string.Create(CultureInfo.InvariantCulture,
                        $"{ended.Name} exited (code {ended.ExitCode}) while job {jobId} was {status.Status}. Its output:\n{Tail(ended.Output)}"));
                }

                await Task.Delay(s_poll, TimeProvider.System, limit.Token).ConfigureAwait(false);
                status = await admin.GetAsync(jobId, limit.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new LocalDeploymentException(string.Create(CultureInfo.InvariantCulture,
                $"job {jobId} did not end within {timeout.TotalSeconds:F0} s ({status.RoundsCompleted}/{status.RoundsTotal} rounds).\n{Tail(consortium.Coordinator?.Output ?? "")}"));
        }

        // A job that completed without aggregating any round trained nothing: every site refused or failed every round.
        if (status.Status != "completed" || status.Rounds.All(r => !r.Aggregated))
        {
            string outcome = status.Status == "completed" ? "completed without aggregating any round" : status.Status;
            IEnumerable<string> problems = status.Rounds
                .SelectMany(r => r.Problems.Select(p => (r.Round, Problem: p)))
                .GroupBy(p => p.Problem, StringComparer.Ordinal)
                .Take(12)
                .Select(g => string.Create(CultureInfo.InvariantCulture, $"\n  {g.Key} (round {g.First().Round}{(g.Count() > 1 ? $" and {g.Count() - 1} more" : "")})"));
            throw new LocalDeploymentException(string.Create(CultureInfo.InvariantCulture,
                $"job {jobId} {outcome} after {status.RoundsCompleted}/{status.RoundsTotal} rounds{(status.Message.Length > 0 ? ": " + status.Message : "")}")
                + string.Concat(problems));
        }

        return jobId;
    }

    /// <summary>The final model and the round history, from the stopped coordinator's store.</summary>
    private static JobResult ReadResult(string home, string jobId, ModelSpec spec, TimeSpan elapsed)
    {
        using SqliteJobStore store = SqliteJobStore.Open(new SqliteJobStoreOptions { Path = Path.Combine(home, "coordinator.db") }, TimeProvider.System);
        IReadOnlyList<StoredRound> rounds = store.GetRounds(jobId);
        Checkpoint checkpoint = store.LoadLatestCheckpoint(jobId)
            ?? throw new LocalDeploymentException($"job {jobId}: the coordinator's store holds no checkpoint.");
        if (rounds.Count == 0)
        {
            throw new LocalDeploymentException($"job {jobId}: the coordinator's store holds no round.");
        }

        return new JobResult(new GlobalModel(spec, checkpoint.Parameters, checkpoint.ModelRound), [.. rounds.Select(r => r.Report)], elapsed);
    }

    /// <summary>
    /// Copies every audit ledger and its public key where <c>simulate --out</c> puts them: <c>coordinator.db</c> (from
    /// the coordinator home's <c>ledgers/</c>, when the coordinator writes one) and <c>SITE.db</c> from each node's state.
    /// Private keys are not copied.
    /// </summary>
    private static void CollectLedgers(LocalConsortium consortium, IEnumerable<LocalSite> sites, string target)
    {
        Directory.CreateDirectory(target);
        string coordinatorLedgers = Path.Combine(consortium.Home, "ledgers");
        if (Directory.Exists(coordinatorLedgers))
        {
            foreach (string file in Directory.EnumerateFiles(coordinatorLedgers).Where(f => !f.EndsWith(".key.pem", StringComparison.Ordinal)))
            {
                File.Copy(file, Path.Combine(target, Path.GetFileName(file)), overwrite: true);
            }
        }

        foreach (LocalSite site in sites)
        {
            string state = Path.Combine(consortium.SiteFolder(site.Name), "state");
            CopyIfExists(Path.Combine(state, "ledger.db"), Path.Combine(target, site.Name + ".db"));
            CopyIfExists(Path.Combine(state, "ledger.pub.pem"), Path.Combine(target, site.Name + ".pub.pem"));
        }

        static void CopyIfExists(string from, string to)
        {
            if (File.Exists(from))
            {
                File.Copy(from, to, overwrite: true);
            }
        }
    }

    private static string RoundLine(RoundOverview round, int rounds) =>
        string.Create(CultureInfo.InvariantCulture, $"round {round.Round}/{rounds}  sites {round.Participants}{(round.Aggregated ? "" : "  not aggregated")}")
        + string.Concat(round.Metrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"  {m.Kind} {m.Mean:F4}")))
        + (round.Problems.Count > 0 ? "  problems: " + string.Join("; ", round.Problems) : "");

    private static string Tail(string output)
    {
        string[] lines = output.TrimEnd().Split('\n');
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 30)));
    }
}
