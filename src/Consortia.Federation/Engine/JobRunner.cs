using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Federation.Jobs.Store;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Microsoft.Extensions.Logging;

namespace Consortia.Federation.Engine;

/// <summary>
/// Runs a stored job round by round with <see cref="RoundEngine.RunRoundAsync"/>, committing every completed round
/// (report + model + strategy state, one transaction) before the next starts, so that a coordinator killed at any point
/// and restarted continues from the last committed round.
/// </summary>
/// <remarks>
/// <para>
/// Resume is exact: the engine derives each round's randomness from the job seed and the round number alone, and the
/// model, the model's round and the strategy state are restored bit for bit, so a job resumed after any round ends
/// with the same final model, bit for bit, as an uninterrupted run (given sites that answer a repeated round as they
/// would have the first time; see <c>docs/operations.md</c>). Each start is a new attempt (<see cref="TrainTask.Attempt"/>):
/// sites contribute to each (round, attempt) once, so a round interrupted by a crash runs again as a fresh round
/// for them, never as a replay.
/// </para>
/// <para>
/// Endings: every round committed → <see cref="JobState.Completed"/>. Operator cancellation
/// (<see cref="IJobStore.RequestCancel"/>), seen between rounds and, through cancellation, within a round →
/// <see cref="JobState.Cancelled"/> (a round cut short is not committed). With
/// <see cref="JobRunnerOptions.EndWhenEverySiteRefuses"/>, a round that every site asked refused under its policy →
/// <see cref="JobState.Refused"/>, the message naming each site's rule (the round is not committed). Unusable stored data (corrupt checkpoint,
/// model layout mismatch, YAML that no longer parses) → <see cref="JobState.Failed"/>. Anything else — the caller's
/// <see cref="CancellationToken"/> (host shutdown), a transport or database error — leaves the job running, noted with
/// the error, and is rethrown: the job resumes at the next start-up, up to <see cref="JobRunnerOptions.MaxAttempts"/>
/// starts.
/// </para>
/// <para>
/// The coordinator's audit ledger (<see cref="Ledger"/>) is written here and nowhere else: job-received at the job's
/// first start, round-completed (the update or masked-input hashes received) for every committed round, and
/// model-released before the job is marked completed. Every entry carries the run id (the stored job's id) beside the
/// job's name, so runs of one name stay apart. At every start the ledger is reconciled with the store first, so a crash
/// between a commit and its ledger entry neither loses nor duplicates an entry.
/// </para>
/// </remarks>
public sealed partial class JobRunner
{
    private readonly IJobStore _store;
    private readonly ISiteTransport _transport;
    private readonly string _jobId;
    private readonly JobDefinition _job;
    private readonly GlobalModel _initial;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly JobRunnerOptions _options;

    /// <summary>Creates a runner for one stored job.</summary>
    /// <param name="store">The coordinator store holding the job.</param>
    /// <param name="transport">The way to the job's sites.</param>
    /// <param name="jobId">The stored job's id.</param>
    /// <param name="job">The job, parsed from its stored YAML.</param>
    /// <param name="initial">The initial model (used only when the job has no checkpoint yet).</param>
    /// <param name="time">The clock (round timings, cancellation polling).</param>
    /// <param name="logger">The log.</param>
    /// <param name="options">Polling and retry limits; <see langword="null"/> for the defaults.</param>
    public JobRunner(IJobStore store, ISiteTransport transport, string jobId, JobDefinition job, GlobalModel initial, TimeProvider time, ILogger logger, JobRunnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(jobId);
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(initial);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        options ??= new JobRunnerOptions();
        options.Validate();
        _store = store;
        _transport = transport;
        _jobId = jobId;
        _job = job;
        _initial = initial;
        _time = time;
        _log = logger;
        _options = options;
    }

    /// <summary>The coordinator's audit ledger, or <see langword="null"/> to keep none. Entries name the job by its name (as sites' ledgers do) and its run by the stored job's id.</summary>
    public AuditLedger? Ledger { get; init; }

    /// <summary>The strategy to run; <see langword="null"/> for the job's own (<see cref="JobDefinition.CreateStrategy()"/>).</summary>
    /// <remarks>Simulation passes one whose central noise is seeded from the job, so that runs are reproducible.</remarks>
    public IStrategy? Strategy { get; init; }

    /// <summary>Called before each round starts (simulation advances its virtual clock here), or <see langword="null"/>.</summary>
    public Action<RoundNumber>? RoundStarting { get; init; }

    /// <summary>A deployed job with <c>fairness.reweighting</c>: the sites' summed (group, label) training counts, sent with every training task; <see langword="null"/> for none.</summary>
    public IReadOnlyList<long>? ReweightingCounts { get; init; }

    /// <summary>Runs (or resumes) the job until it completes, is cancelled or fails.</summary>
    /// <param name="progress">Receives each round's report once the round is committed.</param>
    /// <param name="cancellationToken">Host shutdown: stops the run and leaves the job running, to be resumed.</param>
    /// <returns>How the run ended.</returns>
    /// <exception cref="JobStateException">The job is already completed, failed or cancelled.</exception>
    /// <exception cref="JobStoreException">The job's stored data is unusable (the job is marked failed first).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled (the job stays running).</exception>
    public async Task<JobRunOutcome> RunAsync(IProgress<RoundReport>? progress, CancellationToken cancellationToken)
    {
        JobRecord record = _store.GetJob(_jobId);
        if (record.IsFinal)
        {
            throw new JobStateException(_jobId, record.State, "run");
        }

        if (record.CancelRequested)
        {
            record = _store.MarkCancelled(_jobId, "cancelled before it resumed");
            return new JobRunOutcome(_jobId, record.State, _initial, record.RoundsCompleted, record.StatusMessage);
        }

        if (record.Attempts >= _options.MaxAttempts)
        {
            string message = $"gave up after {record.Attempts} starts without finishing; last error: {record.StatusMessage ?? "none recorded"}";
            record = _store.MarkFailed(_jobId, message);
            LogGaveUp(_jobId, record.Attempts);
            return new JobRunOutcome(_jobId, record.State, _initial, record.RoundsCompleted, message);
        }

        IStrategy strategy = Strategy ?? _job.CreateStrategy();
        record = _store.MarkRunning(_jobId, _initial, strategy.InitialState(_initial));
        (GlobalModel model, StrategyState state, int last) = Restore();
        Reconcile(record);
        if (last > 0)
        {
            LogResuming(_jobId, last, record.TotalRounds, record.Attempts);
        }

        // Each start is a new attempt: a round interrupted by a crash runs again under a new identity, which sites require.
        RoundEngine engine = new(_transport, strategy, _job.Engine, _time) { JobSha256 = _job.ContentSha256, Attempt = record.Attempts, Log = _log, ReweightingCounts = ReweightingCounts };
        RandomSource random = new(_job.Seed);
        using CancellationTokenSource operatorCancel = new();
        using CancellationTokenSource round = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, operatorCancel.Token);
        using CancellationTokenSource stopPolling = new();
        Task polling = PollCancelAsync(operatorCancel, stopPolling.Token);
        try
        {
            using IDisposable watch = _store.WatchCancel(_jobId, () => TryCancel(operatorCancel));
            for (int r = last + 1; r <= record.TotalRounds; r++)
            {
                if (operatorCancel.IsCancellationRequested || _store.IsCancelRequested(_jobId))
                {
                    return Cancelled(model, r - 1);
                }

                cancellationToken.ThrowIfCancellationRequested();
                bool evaluate = r % _job.Engine.EvaluateEvery == 0 || r == _job.Engine.Rounds;
                RoundNumber number = new(r);
                RoundStarting?.Invoke(number);
                (GlobalModel nextModel, StrategyState nextState, RoundReport report) =
                    await engine.RunRoundAsync(number, model, state, random, evaluate, round.Token).ConfigureAwait(false);
                if (_options.EndWhenEverySiteRefuses && EverySiteRefused(report) is { } refusals)
                {
                    string why = $"every site refused round {r}: {refusals}";
                    JobRecord refused = _store.MarkRefused(_jobId, why);
                    LogRefused(_jobId, r, refusals);
                    return new JobRunOutcome(_jobId, JobState.Refused, model, refused.RoundsCompleted, why);
                }

                _store.CommitRound(_jobId, number, nextModel, nextState, report);
                Ledger?.Append(RoundCompleted(record.Name, report));
                (model, state) = (nextModel, nextState);
                LogRoundCommitted(_jobId, r, record.TotalRounds, report.Aggregated, report.Contributors.Count);
                progress?.Report(report);
            }

            // Released before the job is marked completed: a crash in between resumes with every round committed and
            // finds the release in the ledger (Reconcile), so the entry is written exactly once.
            if (Ledger is { } ledger && !HasRelease(ledger, record.Name))
            {
                ledger.Append(new ModelReleasedEvent(record.Name, UpdateHash.Of(model.Parameters.Values), "model.json") { RunId = _jobId });
            }

            JobRecord done = _store.MarkCompleted(_jobId);
            LogCompleted(_jobId, done.RoundsCompleted);
            return new JobRunOutcome(_jobId, JobState.Completed, model, done.RoundsCompleted, null);
        }
        catch (OperationCanceledException) when (operatorCancel.IsCancellationRequested)
        {
            return Cancelled(model, _store.GetJob(_jobId).RoundsCompleted);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogInterrupted(_jobId, "the coordinator is stopping");
            throw;
        }
        catch (Exception error) when (error is not (JobStateException or JobStoreException))
        {
            // Left running on purpose: a transport or database failure, or a crash, is cured by resuming.
            LogInterrupted(_jobId, error.Message);
            try
            {
                _store.NoteError(_jobId, $"interrupted: {error.GetType().Name}: {error.Message}");
            }
            catch (Exception noteError) when (noteError is System.Data.Common.DbException or ObjectDisposedException or InvalidOperationException)
            {
                LogInterrupted(_jobId, $"could not record the error: {noteError.Message}");
            }

            throw;
        }
        finally
        {
            await stopPolling.CancelAsync().ConfigureAwait(false);
            await polling.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The coordinator's start-up entry: runs, one after another, every job the store holds as running (interrupted)
    /// or queued, resuming each from its last committed round.
    /// </summary>
    /// <param name="store">The coordinator store.</param>
    /// <param name="launch">Builds each job's transport and initial model.</param>
    /// <param name="progress">Receives every committed round's report (of all jobs).</param>
    /// <param name="time">The clock.</param>
    /// <param name="logger">The log.</param>
    /// <param name="options">Polling and retry limits; <see langword="null"/> for the defaults.</param>
    /// <param name="cancellationToken">Host shutdown: stops the current job (left running) and the loop.</param>
    /// <returns>How each job taken up ended; a job whose run threw (left running for the next start-up) is logged and absent.</returns>
    public static async Task<IReadOnlyList<JobRunOutcome>> ResumeIncompleteJobsAsync(
        IJobStore store, JobLauncher launch, IProgress<RoundReport>? progress, TimeProvider time, ILogger logger, JobRunnerOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(launch);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        List<JobRunOutcome> outcomes = [];
        foreach (JobRecord record in store.ListIncompleteJobs())
        {
            cancellationToken.ThrowIfCancellationRequested();
            JobDefinition job;
            try
            {
                job = ParseStoredJob(record);
            }
            catch (JobFileException error)
            {
                store.MarkFailed(record.Id, $"the stored job YAML no longer parses: {error.Message}");
                LogFailed(logger, record.Id, error.Message);
                continue;
            }

            try
            {
                JobLaunch launched = await launch(record, job, cancellationToken).ConfigureAwait(false);
                JobRunner runner = new(store, launched.Transport, record.Id, job, launched.InitialModel, time, logger, options);
                outcomes.Add(await runner.RunAsync(progress, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception error) when (error is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogFailed(logger, record.Id, error.Message);
            }
        }

        return outcomes;
    }

    /// <summary>Parses a stored job's YAML (errors name the job).</summary>
    /// <param name="record">The stored job.</param>
    /// <returns>The job definition.</returns>
    /// <exception cref="JobFileException">The YAML does not parse.</exception>
    public static JobDefinition ParseStoredJob(JobRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return JobFile.Parse(record.YamlText, $"job-{record.Id}.yaml");
    }

    /// <summary>Restores model and state from the newest checkpoint; unusable data marks the job failed.</summary>
    private (GlobalModel Model, StrategyState State, int Round) Restore()
    {
        try
        {
            Checkpoint checkpoint = _store.LoadLatestCheckpoint(_jobId)
                ?? throw new JobStoreException(_jobId, 0, "the job has no checkpoint although it was just started.", null);
            if (!checkpoint.Parameters.Layout.Equals(_initial.Parameters.Layout))
            {
                throw new JobStoreException(_jobId, checkpoint.Round.Value, $"the checkpoint's model layout ({checkpoint.Parameters.Layout}) differs from the job's model ({_initial.Parameters.Layout}).", null);
            }

            GlobalModel model = _initial with { Parameters = checkpoint.Parameters, Round = checkpoint.ModelRound };
            return (model, checkpoint.State, checkpoint.Round.Value);
        }
        catch (JobStoreException error)
        {
            _store.MarkFailed(_jobId, error.Message);
            LogFailed(_log, _jobId, error.Message);
            throw;
        }
    }

    /// <summary>
    /// Brings the coordinator's ledger in step with the store before any round runs: job-received if absent (first
    /// start), then round-completed for every committed round the ledger lacks (a crash between commit and append).
    /// </summary>
    private void Reconcile(JobRecord record)
    {
        if (Ledger is not { } ledger)
        {
            return;
        }

        // Entries carry this run's id (entries written before runs had ids carry none and are matched by name): this run's
        // entries are those after its job-received. The first start always writes one.
        IReadOnlyList<LedgerEntry> entries = ledger.ReadEntries();
        int received = -1;
        for (int i = entries.Count - 1; i >= 0 && record.Attempts > 1; i--)
        {
            if (entries[i].Event is JobReceivedEvent j && IsThisRun(j, j.JobId, record.Name))
            {
                received = i;
                break;
            }
        }

        if (received < 0)
        {
            ledger.Append(new JobReceivedEvent(record.Name, Sha256Hex.OfText(record.YamlText), _job.Consortium, _job.Owner) { RunId = _jobId });
            entries = [];
        }

        HashSet<int> recorded = [.. entries.Skip(received + 1).Select(e => e.Event).OfType<RoundCompletedEvent>().Where(e => IsThisRun(e, e.JobId, record.Name)).Select(e => e.Round)];
        if (recorded.Count == record.RoundsCompleted)
        {
            return;
        }

        foreach (StoredRound stored in _store.GetRounds(_jobId).Where(r => !recorded.Contains(r.Round.Value)))
        {
            ledger.Append(RoundCompleted(record.Name, stored.Report));
        }
    }

    private RoundCompletedEvent RoundCompleted(string jobName, RoundReport report) =>
        new(jobName, report.Round.Value, [.. report.UpdateHashes.Select(h => new SiteUpdateHash(h.Key.Value, h.Value))]) { RunId = _jobId };

    /// <summary>Whether a ledger event is of this run: its run id is this job's, or (an entry from before run ids) its job name matches.</summary>
    private bool IsThisRun(LedgerEvent entry, string entryJobName, string jobName) =>
        entry.RunId is { } run ? string.Equals(run, _jobId, StringComparison.Ordinal) : string.Equals(entryJobName, jobName, StringComparison.Ordinal);

    /// <summary>Whether this run of the job (the entries after its last job-received) already released its model.</summary>
    private bool HasRelease(AuditLedger ledger, string jobName)
    {
        foreach (LedgerEntry entry in ledger.ReadEntries().Reverse())
        {
            switch (entry.Event)
            {
                case ModelReleasedEvent m when IsThisRun(m, m.JobId, jobName):
                    return true;
                case JobReceivedEvent j when IsThisRun(j, j.JobId, jobName):
                    return false;
            }
        }

        return false;
    }

    /// <summary>Each site's refusal with its rule, when every site asked in the round refused (none contributed, failed or missed); otherwise <see langword="null"/>.</summary>
    private static string? EverySiteRefused(RoundReport report) =>
        report.Refusals.Count > 0 && report.Contributors.Count == 0 && report.Failures.Count == 0
            ? string.Join("; ", report.Refusals.Select(r => $"{r.Site} ({r.Rule}): {r.Reason}"))
            : null;

    private JobRunOutcome Cancelled(GlobalModel model, int rounds)
    {
        string message = $"cancelled by an operator after {rounds} committed rounds";
        _store.MarkCancelled(_jobId, message);
        LogCancelled(_jobId, rounds);
        return new JobRunOutcome(_jobId, JobState.Cancelled, model, rounds, message);
    }

    /// <summary>Re-reads the cancellation flag every <see cref="JobRunnerOptions.CancelPollInterval"/> (for requests from another process).</summary>
    private async Task PollCancelAsync(CancellationTokenSource operatorCancel, CancellationToken stop)
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await Task.Delay(_options.CancelPollInterval, _time, stop).ConfigureAwait(false);
                if (_store.IsCancelRequested(_jobId))
                {
                    TryCancel(operatorCancel);
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The run is over.
        }
        catch (ObjectDisposedException)
        {
            // The store was closed under us: the run is over.
        }
    }

    private static void TryCancel(CancellationTokenSource source)
    {
        try
        {
            source.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The run already ended.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: resuming after round {Round} of {Total} (start {Attempt})")]
    private partial void LogResuming(string jobId, int round, int total, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: round {Round} of {Total} committed (aggregated: {Aggregated}, {Contributors} contributors)")]
    private partial void LogRoundCommitted(string jobId, int round, int total, bool aggregated, int contributors);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: completed after {Rounds} rounds")]
    private partial void LogCompleted(string jobId, int rounds);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {JobId}: cancelled after {Rounds} committed rounds")]
    private partial void LogCancelled(string jobId, int rounds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: every site refused round {Round}; the job ends refused: {Refusals}")]
    private partial void LogRefused(string jobId, int round, string refusals);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {JobId}: interrupted, left running to be resumed: {Reason}")]
    private partial void LogInterrupted(string jobId, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId}: gave up after {Attempts} starts")]
    private partial void LogGaveUp(string jobId, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {JobId}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string jobId, string reason);
}
