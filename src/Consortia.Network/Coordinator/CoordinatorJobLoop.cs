using System.Collections.Concurrent;
using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Federation.Jobs.Store;
using Consortia.Network.Node;
using Consortia.Network.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Coordinator;

/// <summary>
/// Runs the coordinator's jobs, up to <see cref="Configuration.CoordinatorConfig.MaxConcurrentJobs"/> at once,
/// oldest first; each job has its own session on the transport (its own sites and rounds), and the others
/// wait queued. Jobs that were running when the coordinator stopped (even by kill -9) are taken up again
/// first and resume after their last committed round.
/// </summary>
/// <remarks>
/// A job waits for enough sites to accept it with exponential backoff (<see cref="FirstWait"/> doubling up to
/// <see cref="LongestWait"/>), says why it waits in its status message (logged once per change of reason), and fails
/// with that reason when <see cref="Configuration.CoordinatorConfig.JobStartTimeout"/> passes. Cancellation is
/// idempotent: the operator's request and this loop may both mark the job cancelled.
/// </remarks>
internal sealed partial class CoordinatorJobLoop(CoordinatorServices services, TimeProvider time, ILogger<CoordinatorJobLoop> log) : BackgroundService
{
    /// <summary>The first pause between two looks for sites while a job waits to start.</summary>
    internal static readonly TimeSpan FirstWait = TimeSpan.FromSeconds(1);

    /// <summary>How long one look waits for the connected sites' answers (a site answers again at once once prepared).</summary>
    internal static readonly TimeSpan AnswerWindow = TimeSpan.FromSeconds(5);

    /// <summary>The longest pause between two looks for sites (the backoff doubles up to it).</summary>
    internal static readonly TimeSpan LongestWait = TimeSpan.FromSeconds(30);

    /// <summary>A deployed job refused by every site ends refused (a simulation reports every round instead).</summary>
    private static readonly JobRunnerOptions s_runnerOptions = new() { EndWhenEverySiteRefuses = true };

    private readonly SemaphoreSlim _wake = new(0);
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);
    private volatile bool _ready;

    /// <summary>Whether the loop has started (the store is open and jobs are being taken).</summary>
    public bool IsReady => _ready;

    /// <summary>The ids of the jobs running now.</summary>
    public IReadOnlyList<string> Running => [.. _running.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Wakes the loop: a job was submitted.</summary>
    public void Submitted() => _wake.Release();

    /// <summary>Cancels the job if it is running now (a queued job is cancelled in the store alone); the other jobs go on.</summary>
    public void CancelRunning(string jobId)
    {
        if (_running.TryGetValue(jobId, out CancellationTokenSource? cancel))
        {
            try
            {
                cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The job ended meanwhile.
            }
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ready = true;
        List<Task> jobs = [];
        while (!stoppingToken.IsCancellationRequested)
        {
            jobs.RemoveAll(t => t.IsCompleted);
            foreach (JobRecord job in services.Jobs.ListIncompleteJobs().Where(j => !j.IsFinal && !_running.ContainsKey(j.Id)))
            {
                if (_running.Count >= services.Config.MaxConcurrentJobs)
                {
                    break; // the rest stay queued until a running job ends
                }

                CancellationTokenSource cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                _running[job.Id] = cancel;
                services.Metrics.SetRunningJobs(_running.Count);
                jobs.Add(Task.Run(() => SuperviseAsync(job, cancel, stoppingToken), CancellationToken.None));
            }

            try
            {
                await _wake.WaitAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await Task.WhenAll(jobs).ConfigureAwait(false);
    }

    /// <summary>Runs one job to its end, retrying after trouble that a retry can mend; then frees its slot.</summary>
    private async Task SuperviseAsync(JobRecord job, CancellationTokenSource cancel, CancellationToken stoppingToken)
    {
        try
        {
            while (true)
            {
                try
                {
                    await RunAsync(job, cancel.Token).ConfigureAwait(false);
                    return;
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    // Shutting down: the job stays "running" in the store and resumes at the next start.
                    LogSuspended(job.Id);
                    return;
                }
                catch (OperationCanceledException)
                {
                    // The operator's request may have marked the job cancelled already (a queued job): cancelling is idempotent.
                    services.Jobs.MarkCancelled(job.Id, "cancelled by an operator");
                    LogCancelled(job.Id);
                    return;
                }
                catch (JobStateException e) when (services.Jobs.FindJob(job.Id) is { IsFinal: true } ended)
                {
                    // The job ended meanwhile (cancelled, failed or refused by another path): nothing is left to run.
                    LogAlreadyEnded(job.Id, ended.State, e.Message);
                    return;
                }
                catch (Exception e) when (e is JobFileException or InvalidDataException or ArgumentException)
                {
                    // The job itself cannot run (bad file, sites disagree on the data): a retry would fail the same way.
                    services.Jobs.MarkFailed(job.Id, e.Message);
                    LogFailed(job.Id, e);
                    return;
                }
                catch (Exception e)
                {
                    // Left running by the runner on purpose (transport or database trouble): try again shortly.
                    LogFailed(job.Id, e);
                }

                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(2), time, cancel.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Cancelled or shutting down while waiting: the next attempt sees it at once.
                }
            }
        }
        finally
        {
            _running.TryRemove(job.Id, out _);
            services.Metrics.SetRunningJobs(_running.Count);
            services.Metrics.JobEnded(job.Id);
            cancel.Dispose();
            _wake.Release(); // a slot is free: start the next queued job
        }
    }

    private async Task RunAsync(JobRecord stored, CancellationToken cancellationToken)
    {
        JobDefinition job = JobFile.Parse(stored.YamlText, Path.Combine(services.Config.Home, "jobs", stored.Id + ".yaml"));
        HostedConsortium? consortium = services.Consortia.For(job, out string? unknown);
        if (consortium is null)
        {
            Refuse(stored.Id, services.Ledger, null, $"refused ({ConsortiumRule}): {unknown}");
            return;
        }

        // The roster the consortium publishes: secure-aggregation signatures that do not verify against it are dropped
        // here (and logged naming the site) before they reach the sites, which verify against their own roster anyway.
        if (consortium.Roster(log) is { } roster)
        {
            job = job with { Engine = job.Engine with { Roster = roster } };
        }

        // Under an agreement the job goes only to the agreement's members of the roster, and not at all when it breaks a clause.
        Func<IReadOnlyList<SiteId>, IReadOnlyList<SiteId>> eligible = enrolled => consortium.Eligible(enrolled, log);
        if (consortium.Agreement is { } agreement)
        {
            IReadOnlyList<SiteId> candidates = job.Engine.Roster is { } r ? [.. r.Members.Select(m => new SiteId(m.Site))] : [];
            (Governance.Policies.PolicyDecision decision, IReadOnlyList<SiteId> members) = CoordinatorAgreementCheck.Evaluate(agreement, job.Describe(), candidates, time.GetUtcNow());
            consortium.Ledger.Append(Governance.Audit.Events.PolicyDecisionEvent.From(job.Name, null, decision) with { RunId = stored.Id });
            if (!decision.Accepted)
            {
                Refuse(stored.Id, consortium.Ledger, job, CoordinatorAgreementCheck.Refusal(consortium.Label, decision));
                return;
            }

            HashSet<SiteId> allowed = [.. members];
            eligible = enrolled => [.. consortium.Eligible(enrolled, log).Where(allowed.Contains)];
        }

        LogConsortium(stored.Id, consortium.Label);
        (GrpcSiteTransport.JobSession? session, int features) = await WaitForSitesAsync(stored, job, eligible, cancellationToken).ConfigureAwait(false);
        if (session is null)
        {
            return; // the start timeout passed: the job is marked failed with the reason
        }

        using GrpcSiteTransport.JobSession owned = session;
        // Group reweighting: the sites' summed (group, label) training counts, collected before round 1 of every start
        // (sites pin the first sum they receive, so a resumed job must obtain the same one).
        IReadOnlyList<long>? reweighting = job.Fairness?.Reweighting is null
            ? null
            : await new DeployedReweighting(services, log).CollectAsync(stored.Id, job, owned, consortium, cancellationToken).ConfigureAwait(false);
        ModelSpec spec = job.ModelFor(features);
        spec.Validate();
        RandomSource random = new(job.Seed);
        ParameterVector initial = new(spec.CreateLayout());
        spec.CreateModel(1).Initialize(initial.Values, random.Derive("init")); // the simulation's initial model
        JobRunner runner = new(services.Jobs, owned, stored.Id, job, new GlobalModel(spec, initial, new RoundNumber(0)), time, log, s_runnerOptions) { Ledger = consortium.Ledger, ReweightingCounts = reweighting };
        JobRunOutcome outcome = await runner.RunAsync(new RoundMetrics(services.Metrics, stored.Id), cancellationToken).ConfigureAwait(false);
        LogEnded(stored.Id, outcome.State, outcome.RoundsCompleted);
    }

    /// <summary>The clause of a job naming a consortium the coordinator does not host.</summary>
    internal const string ConsortiumRule = "coordinator-consortium";

    /// <summary>Ends the job refused with <paramref name="message"/> (it names the clause), recorded in the consortium's ledger.</summary>
    private void Refuse(string jobId, Governance.Audit.AuditLedger ledger, JobDefinition? job, string message)
    {
        if (job is not null)
        {
            ledger.Append(new Governance.Audit.Events.JobReceivedEvent(job.Name, Governance.Audit.Sha256Hex.OfText(job.SourceText ?? job.Name), job.Consortium, job.Owner) { RunId = jobId });
        }

        services.Jobs.MarkRefused(jobId, message);
        LogRefused(jobId, message);
    }

    /// <summary>
    /// Waits until at least the job's minimum of sites accepted it, looking again with exponential backoff and noting why
    /// it waits; returns the job's session (its roster narrowed to the sites that did not decline) and the sites'
    /// feature count, or no session when the start timeout passed (the job is then marked failed with the reason).
    /// </summary>
    private async Task<(GrpcSiteTransport.JobSession? Session, int Features)> WaitForSitesAsync(JobRecord stored, JobDefinition job, Func<IReadOnlyList<SiteId>, IReadOnlyList<SiteId>> eligible, CancellationToken cancellationToken)
    {
        TimeSpan limit = services.Config.JobStartTimeoutSpan;
        long since = time.GetTimestamp();
        int minimum = Math.Max(1, job.Engine.MinimumParticipants);
        TimeSpan pause = FirstWait;
        string? lastReason = null;
        GrpcSiteTransport.JobSession? session = null;
        try
        {
            int enrolledAtStart = eligible(services.Identity.ActiveSites()).Count;
            LogStarting(stored.Id, job.Name, enrolledAtStart);
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                // Re-read on every look: a member who left the roster or whose certificate expired or was revoked gets no new task.
                IReadOnlyList<SiteId> enrolled = eligible(services.Identity.ActiveSites());
                TimeSpan left = limit - time.GetElapsedTime(since);
                string reason;
                if (enrolled.Count == 0)
                {
                    reason = "0 sites enrolled";
                }
                else
                {
                    if (session is null || !session.Roster.SequenceEqual(enrolled))
                    {
                        session?.Dispose(); // a site enrolled or was revoked meanwhile: ask the new set
                        session = services.Transport.BeginJob(stored.Id, stored.YamlText, enrolled);
                        session.Consortium = job.Consortium;
                    }

                    HashSet<SiteId> connected = [.. services.Transport.Connected];
                    IReadOnlyDictionary<SiteId, JobReadiness> ready = connected.Overlaps(enrolled)
                        ? await session.PrepareAsync(left > TimeSpan.Zero ? Min(left, AnswerWindow) : TimeSpan.Zero, cancellationToken).ConfigureAwait(false)
                        : new Dictionary<SiteId, JobReadiness>();
                    int[] counts = [.. ready.Values.Where(r => r.Accepted).Select(r => r.FeatureCount).Distinct()];
                    if (counts.Length > 1)
                    {
                        throw new InvalidDataException($"the sites' data disagree on the number of features ({string.Join(", ", counts)}); check their data contracts.");
                    }

                    int accepted = ready.Values.Count(r => r.Accepted);
                    if (accepted >= minimum)
                    {
                        // A site that declined the job is out of it: no task goes to it and its replies are refused. A site
                        // that has not answered yet (still reconnecting, e.g. after a coordinator restart) stays in: it
                        // gets the announcement when it connects, and its tasks wait for it, as in the simulation.
                        session.Restrict(enrolled.Where(s => !ready.TryGetValue(s, out JobReadiness? answer) || answer.Accepted));
                        if (lastReason is not null)
                        {
                            services.Jobs.NoteError(stored.Id, ""); // it waits no more (a resumed job's last error stays)
                        }

                        GrpcSiteTransport.JobSession started = session;
                        session = null;
                        return (started, counts[0]);
                    }

                    reason = WaitReason(enrolled, connected, ready, accepted, minimum);
                }

                if (!string.Equals(reason, lastReason, StringComparison.Ordinal))
                {
                    // Once per change of reason, so that a job waiting for days writes a handful of lines, not millions.
                    LogWaiting(stored.Id, reason);
                    services.Jobs.NoteError(stored.Id, "waiting: " + reason);
                    lastReason = reason;
                }

                left = limit - time.GetElapsedTime(since);
                if (left <= TimeSpan.Zero)
                {
                    string message = $"not started within job_start_timeout ({services.Config.JobStartTimeout}): {reason}";
                    services.Jobs.MarkFailed(stored.Id, message);
                    LogStartTimeout(stored.Id, message);
                    return (null, 0);
                }

                await Task.Delay(Min(pause, left), time, cancellationToken).ConfigureAwait(false);
                pause = Min(pause * 2, LongestWait);
            }
        }
        finally
        {
            session?.Dispose();
        }
    }

    /// <summary>Why a job waits, naming the sites: how many accepted, which are offline, which declined and why, which did not answer.</summary>
    private static string WaitReason(IReadOnlyList<SiteId> enrolled, HashSet<SiteId> connected, IReadOnlyDictionary<SiteId, JobReadiness> ready, int accepted, int minimum)
    {
        List<string> parts = [$"{accepted} of {minimum} needed site(s) ready"];
        string[] offline = [.. enrolled.Where(s => !connected.Contains(s)).Select(s => s.Value)];
        if (offline.Length > 0)
        {
            parts.Add($"waiting for sites {string.Join(", ", offline)} (offline)");
        }

        string[] silent = [.. enrolled.Where(s => connected.Contains(s) && !ready.ContainsKey(s)).Select(s => s.Value)];
        if (silent.Length > 0)
        {
            parts.Add($"no answer yet from {string.Join(", ", silent)}");
        }

        parts.AddRange(ready.Where(r => !r.Value.Accepted).OrderBy(r => r.Key.Value, StringComparer.Ordinal)
            .Select(r => $"{r.Key} cannot run it ({r.Value.Code}): {r.Value.Message}"));
        return string.Join("; ", parts);
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job} ({Name}) starting; asking its {Sites} enrolled site(s)")]
    private partial void LogStarting(string job, string name, int sites);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job} runs in {Consortium}")]
    private partial void LogConsortium(string job, string consortium);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {Job} {Message}")]
    private partial void LogRefused(string job, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job} waits: {Reason}")]
    private partial void LogWaiting(string job, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {Job} failed: {Message}")]
    private partial void LogStartTimeout(string job, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job} had already ended ({State}): {Detail}")]
    private partial void LogAlreadyEnded(string job, JobState state, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job} ended: {State} after {Rounds} rounds")]
    private partial void LogEnded(string job, JobState state, int rounds);

    /// <summary>Feeds each committed round into the Prometheus metrics.</summary>
    private sealed class RoundMetrics(NetworkMetrics metrics, string job) : IProgress<Federation.Engine.RoundReport>
    {
        public void Report(Federation.Engine.RoundReport value) => metrics.ObserveRound(job, value.Aggregated, value.Contributors.Count, value.Elapsed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {Job} cancelled")]
    private partial void LogCancelled(string job);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job} suspended by shutdown; it resumes at the next start")]
    private partial void LogSuspended(string job);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {Job} failed")]
    private partial void LogFailed(string job, Exception error);
}
