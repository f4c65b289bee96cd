using System.Collections.Immutable;
using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Jobs.Store;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Evaluation;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.Budget;
using Consortia.Privacy.Mechanisms;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Federation.Simulation;

/// <summary>
/// Runs a job on one machine: one in-process <see cref="SiteAgent"/> per site, and the deployed coordinator's
/// <see cref="JobRunner"/> (the only code that advances rounds) over the in-process transport, on a
/// <see cref="VirtualClock"/>.
/// </summary>
/// <remarks>
/// With a state directory (<c>simulate --out DIR</c>) the job store is SQLite in <c>DIR/jobs.db</c>, so an interrupted run
/// resumes with <see cref="ResumeAsync"/>; the coordinator's and the sites' ledgers live in <c>DIR/ledgers</c>, the
/// sites' privacy budgets in <c>DIR/budgets</c>. Without one the store is in memory.
/// </remarks>
public static class FederatedSimulation
{
    /// <summary>The job store's file in a state directory.</summary>
    public const string StoreFileName = "jobs.db";

    /// <summary>The file in a state directory that says which job file and seed a resumed run must use.</summary>
    public const string ResumeFileName = "resume.json";

    /// <summary>Loads the job's data and runs the federated job and its baselines.</summary>
    /// <param name="job">The job.</param>
    /// <param name="progress">Receives each round's report.</param>
    /// <param name="stateDirectory">Where the run keeps what outlives it (job store, ledgers, privacy budget ledgers); <see langword="null"/> for memory and a temporary folder.</param>
    /// <param name="cancellationToken">Cancels the run; with a state directory the job stays running in its store, to be resumed.</param>
    /// <returns>The result.</returns>
    public static Task<SimulationResult> RunAsync(JobDefinition job, IProgress<RoundReport>? progress, string? stateDirectory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        return RunAsync(job, LoadData(job), progress, stateDirectory, cancellationToken);
    }

    /// <summary>
    /// Loads the job's data and runs it as <see cref="RunAsync(JobDefinition, IProgress{RoundReport}?, string?, CancellationToken)"/>
    /// does, in the store of <paramref name="watch"/> (which a dashboard reads) and paced for watching.
    /// </summary>
    /// <param name="job">The job.</param>
    /// <param name="progress">Receives each round's report.</param>
    /// <param name="stateDirectory">Where the run keeps its ledgers and privacy budget ledgers; <see langword="null"/> for a temporary folder.</param>
    /// <param name="watch">The store to run in (not disposed) and the pace.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The result, the same as an unwatched run's.</returns>
    public static Task<SimulationResult> RunAsync(JobDefinition job, IProgress<RoundReport>? progress, string? stateDirectory, SimulationWatch watch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(watch);
        ArgumentOutOfRangeException.ThrowIfLessThan(watch.Pace, TimeSpan.Zero);
        return RunCoreAsync(job, LoadData(job), progress, stateDirectory, null, resume: false, watch, cancellationToken);
    }

    /// <summary>Runs the federated job and its baselines on already-loaded data.</summary>
    /// <param name="job">The job.</param>
    /// <param name="data">The per-site data.</param>
    /// <param name="progress">Receives each round's report.</param>
    /// <param name="stateDirectory">Where the run keeps what outlives it (job store, ledgers, privacy budget ledgers); <see langword="null"/> for memory and a temporary folder.</param>
    /// <param name="cancellationToken">Cancels the run; with a state directory the job stays running in its store, to be resumed.</param>
    /// <returns>The result.</returns>
    /// <remarks>Each site enforces its policy from the job's <c>policies:</c> section; a site without one refuses every round.</remarks>
    public static Task<SimulationResult> RunAsync(JobDefinition job, FederatedDataset data, IProgress<RoundReport>? progress, string? stateDirectory, CancellationToken cancellationToken) =>
        RunAsync(job, data, progress, stateDirectory, null, cancellationToken);

    /// <summary>As the public overload, with each site's policy given by <paramref name="policies"/> instead of the job's <c>policies:</c> section.</summary>
    internal static Task<SimulationResult> RunAsync(
        JobDefinition job, FederatedDataset data, IProgress<RoundReport>? progress, string? stateDirectory, Func<string, Governance.Policies.PolicyEvaluator?>? policies, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(data);
        return RunCoreAsync(job, data, progress, stateDirectory, policies, resume: false, watch: null, cancellationToken);
    }

    /// <summary>
    /// Finishes a run into <paramref name="stateDirectory"/> that was interrupted (process killed or cancelled): the job
    /// continues after its last committed round and ends with the result of an uninterrupted run.
    /// </summary>
    /// <param name="stateDirectory">The <c>--out</c> folder of the interrupted run.</param>
    /// <param name="progress">Receives each remaining round's report.</param>
    /// <param name="cancellationToken">Cancels the run (it can be resumed again).</param>
    /// <returns>The result of the whole job.</returns>
    /// <exception cref="JobFileException">The folder holds no interrupted run, or its job file changed since the run started.</exception>
    public static async Task<SimulationResult> ResumeAsync(string stateDirectory, IProgress<RoundReport>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stateDirectory);
        SimulationResumeInfo info = SimulationResumeInfo.Read(stateDirectory);
        JobDefinition job = JobFile.Load(info.JobFile) with { Seed = info.Seed };
        return await RunCoreAsync(job, LoadData(job), progress, stateDirectory, null, resume: true, watch: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The policy a simulated site enforces: its entry in the job's <c>policies:</c> section, else <c>default</c>; <see langword="null"/> without either.</summary>
    /// <param name="job">The job.</param>
    /// <param name="site">The site.</param>
    /// <returns>The site's policy evaluator, or <see langword="null"/>.</returns>
    public static Governance.Policies.PolicyEvaluator? PolicyFor(JobDefinition job, string site) => SimulatedSites.PolicyFor(job, site);

    /// <summary>Loads the job's data as a simulation does (paths relative to the job file).</summary>
    /// <param name="job">The job.</param>
    /// <returns>The per-site data.</returns>
    public static FederatedDataset LoadData(JobDefinition job)
    {
        string baseDirectory = job.SourcePath is { } path ? Path.GetDirectoryName(path) ?? "." : Directory.GetCurrentDirectory();
        return FederatedDataLoader.Load(job.Data, baseDirectory);
    }

    private static async Task<SimulationResult> RunCoreAsync(
        JobDefinition job, FederatedDataset data, IProgress<RoundReport>? progress, string? stateDirectory, Func<string, Governance.Policies.PolicyEvaluator?>? policies, bool resume, SimulationWatch? watch, CancellationToken cancellationToken)
    {
        data = Fairness.FairnessMitigation.Prepare(job, data);
        ModelSpec spec = job.ModelFor(data.Sites[0].Train.FeatureCount);
        spec.Validate();
        IReadOnlyList<MetricKind> metrics = job.MetricsFor(data.Task);
        RandomSource random = new(job.Seed);
        // With site profiles only simulated work moves the clock (no fixed step per round).
        VirtualClock clock = job.Profiles is null ? new() : new(VirtualClock.DefaultStart, TimeSpan.Zero);

        // Audit ledgers (coordinator and every site) when the run has a state directory: the same events a
        // deployment records, so that `consortia audit verify/cross-check` and the compliance report work on them.
        SimulationLedgers? ledgers = stateDirectory is not null ? SimulationLedgers.Create(stateDirectory, job, data.Sites.Select(s => s.Name), clock, siteJobReceived: !resume) : null;
        SimulatedSites sites = SimulatedSites.Create(job, data, stateDirectory, ledgers, clock, policies);
        job = job with { Engine = job.Engine with { Roster = sites.Consortium.Roster } }; // the coordinator drops forged advertisements early

        // Client-level DP: the coordinator's noise is seeded from the job in simulation (cryptographic when deployed).
        IStrategy strategy = job.CreateStrategy(Strategies.ClientDp.ClientDpStrategy.SeededNoise);
        ParameterVector initial = new(spec.CreateLayout());
        spec.CreateModel(1).Initialize(initial.Values, random.Derive("init"));
        JobResult federated;
        SitePrivacyReport[] privacy;
        try
        {
            ISiteTransport transport = new InProcessSiteTransport(sites.Agents);
            if (job.Profiles is { } profiles)
            {
                string[] names = [.. data.Sites.Select(s => s.Name)];
                transport = new Profiles.ProfiledSiteTransport(transport, profiles.Resolve(names, job.Seed), clock, random.Derive("availability"), [.. data.Sites.Select(s => s.Train.Count)])
                {
                    Asynchronous = job.Scheduling?.Buffer is not null,
                };
            }

            if (watch is { Pace: { } pace } && pace > TimeSpan.Zero)
            {
                transport = new PacedSiteTransport(transport, pace, watch.WallClock);
            }

            federated = await RunJobAsync(job, transport, strategy, new GlobalModel(spec, initial, new RoundNumber(0)), clock, ledgers?.Coordinator, stateDirectory, resume, watch?.Store, progress, cancellationToken).ConfigureAwait(false);
            privacy = sites.Privacy;
        }
        finally
        {
            sites.Dispose();
            ledgers?.Dispose();
        }

        MetricSummary final = federated.Rounds[^1].Evaluation
            ?? Evaluate(spec, federated.FinalModel.Parameters, data.Sites.Select(s => (s.Name, s.Test)).ToArray(), metrics);
        List<BaselineResult> baselines = [];
        if (job.Baselines is { } options)
        {
            baselines.AddRange(await Task.Run(() => RunBaselines(job, data, options), cancellationToken).ConfigureAwait(false));
        }

        return new SimulationResult(job, data.Task, spec, federated, final, baselines)
        {
            Privacy = privacy,
            ClientPrivacy = (strategy as Strategies.ClientDp.ClientDpStrategy)?.Calibration,
        };
    }

    /// <summary>
    /// The coordinator half: submits the job (or finds the interrupted one) in the run's store and lets the
    /// <see cref="JobRunner"/> run it; the result's rounds are the store's committed history.
    /// </summary>
    private static async Task<JobResult> RunJobAsync(
        JobDefinition job, ISiteTransport transport, IStrategy strategy, GlobalModel initial, VirtualClock clock,
        Governance.Audit.AuditLedger? ledger, string? stateDirectory, bool resume, IJobStore? watchedStore, IProgress<RoundReport>? progress, CancellationToken cancellationToken)
    {
        // A watched run's store belongs to its watcher (a dashboard keeps reading it after the run).
        using IJobStore? owned = watchedStore is not null
            ? null
            : stateDirectory is null
                ? new InMemoryJobStore(clock)
                : SqliteJobStore.Open(new SqliteJobStoreOptions { Path = Path.Combine(stateDirectory, StoreFileName) }, clock);
        IJobStore store = watchedStore ?? owned!; // one of the two is set
        string id;
        if (resume)
        {
            id = SimulationResumeInfo.Read(stateDirectory!).JobId;
            JobRecord record = store.FindJob(id) ?? throw new JobFileException($"{Path.Combine(stateDirectory!, StoreFileName)}: job {id} is not in the store.");
            if (record.IsFinal)
            {
                throw new JobFileException($"{stateDirectory}: the job '{record.Name}' is already {record.State.ToString().ToLowerInvariant()}; there is nothing to resume.");
            }

            if (!string.Equals(record.YamlText, StoredText(job), StringComparison.Ordinal))
            {
                throw new JobFileException($"{job.SourcePath}: the job file changed since the run in {stateDirectory} started; resume needs the same job.");
            }

            // Resume runs the remaining rounds in the same virtual timeline: the clock stands where the last committed round left it.
            clock.EnterRound(new RoundNumber(record.RoundsCompleted));
        }
        else
        {
            id = store.SubmitJob(new JobSubmission(job.Name, job.Owner, StoredText(job), job.Engine.Rounds)).Id;
            if (stateDirectory is not null)
            {
                SimulationResumeInfo.Write(stateDirectory, new SimulationResumeInfo(id, job.SourcePath ?? "", job.Seed));
            }
        }

        JobRunner runner = new(store, transport, id, job, initial, clock, NullLogger.Instance)
        {
            Ledger = ledger,
            Strategy = strategy,
            RoundStarting = clock.EnterRound,
        };
        JobRunOutcome outcome = await runner.RunAsync(progress, cancellationToken).ConfigureAwait(false);
        if (outcome.State != JobState.Completed)
        {
            throw new InvalidOperationException($"The simulated job '{job.Name}' ended {outcome.State.ToString().ToLowerInvariant()}: {outcome.Message}");
        }

        // The job's duration on the virtual timeline (rounds × step), the same for a resumed run as for an uninterrupted one.
        return new JobResult(outcome.Model, [.. store.GetRounds(id).Select(r => r.Report)], clock.GetUtcNow() - clock.Start);
    }

    /// <summary>What the store keeps as the job's text (its YAML; a job built in code has none and is named instead).</summary>
    private static string StoredText(JobDefinition job) => job.SourceText ?? job.Name;

    /// <summary>Trains and evaluates the non-federated baselines: one model per site (local) and one on pooled data.</summary>
    /// <param name="job">The job (model, metrics and seed).</param>
    /// <param name="data">The per-site data.</param>
    /// <param name="options">Which baselines and how they train.</param>
    /// <returns>Each baseline's test metrics at every site.</returns>
    /// <remarks>Baselines start from the same initial parameters as the federated model for the same seed.</remarks>
    public static IReadOnlyList<BaselineResult> RunBaselines(JobDefinition job, FederatedDataset data, BaselineOptions options)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ModelSpec spec = job.ModelFor(data.Sites[0].Train.FeatureCount);
        IReadOnlyList<MetricKind> metrics = job.MetricsFor(data.Task);
        RandomSource jobRandom = new(job.Seed);
        ParameterVector initial = new(spec.CreateLayout());
        spec.CreateModel(1).Initialize(initial.Values, jobRandom.Derive("init"));
        RandomSource random = jobRandom.Derive("baselines");
        List<BaselineResult> results = [];
        (string, Dataset)[] siteTests = [.. data.Sites.Select(s => (s.Name, s.Test))];
        if (options.Pooled)
        {
            ParameterVector p = Train(spec, data.Pooled.Train, options.Training, random.Derive("pooled"), initial);
            results.Add(new BaselineResult("pooled", Evaluate(spec, p, PooledTestsBySite(data), metrics)));
        }

        if (options.Local)
        {
            for (int i = 0; i < data.Sites.Count; i++)
            {
                ParameterVector p = Train(spec, data.Sites[i].Train, options.Training, random.Derive("local").Derive((ulong)i), initial);
                results.Add(new BaselineResult($"local:{data.Sites[i].Name}", Evaluate(spec, p, siteTests, metrics)));
            }
        }

        return results;
    }

    /// <summary>Splits the pooled test set (site order, pooled preprocessing) back into per-site parts.</summary>
    private static (string, Dataset)[] PooledTestsBySite(FederatedDataset data)
    {
        var parts = new (string, Dataset)[data.Sites.Count];
        int offset = 0;
        for (int i = 0; i < data.Sites.Count; i++)
        {
            int count = data.Sites[i].Test.Count;
            int[] rows = [.. Enumerable.Range(offset, count)];
            parts[i] = (data.Sites[i].Name, data.Pooled.Test.Select(rows));
            offset += count;
        }

        return parts;
    }

    private static ParameterVector Train(ModelSpec spec, Dataset train, LocalTrainingOptions options, RandomSource random, ParameterVector initial)
    {
        LocalTrainer trainer = new(spec, options.BatchSize);
        ParameterVector p = initial.Clone();
        trainer.Train(p.Values, train, options, random);
        return p;
    }

    private static MetricSummary Evaluate(ModelSpec spec, ParameterVector parameters, IReadOnlyList<(string Name, Dataset Test)> tests, IReadOnlyList<MetricKind> metrics)
    {
        IModel model = spec.CreateModel(256);
        EvaluationReport[] reports = [.. tests.Select(t => new EvaluationReport(
            new SiteId(t.Name),
            t.Test.Count,
            [.. ModelEvaluator.Evaluate(model, parameters.Values, t.Test, metrics).Select(v => new MetricValue(v.Kind, v.Value))]))];
        return MetricSummary.FromReports(reports);
    }
}
