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
internal sealed partial class CoordinatorJobLoop(CoordinatorServices services, TimeProvider time, ILogger<CoordinatorJobLoop> log) : BackgroundService
{
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
                    services.Jobs.MarkCancelled(job.Id, "cancelled by an operator");
                    LogCancelled(job.Id);
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
        IReadOnlyList<SiteId> enrolled = services.Identity.ActiveSites();
        using GrpcSiteTransport.JobSession session = services.Transport.BeginJob(stored.Id, stored.YamlText, enrolled);
        LogStarting(stored.Id, job.Name, enrolled.Count);

        int minimum = Math.Max(1, job.Engine.MinimumParticipants);
        int features;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IReadOnlyDictionary<SiteId, JobReadiness> ready = await session.PrepareAsync(services.Config.JobStartTimeoutSpan, cancellationToken).ConfigureAwait(false);
            foreach ((SiteId site, JobReadiness answer) in ready.Where(r => !r.Value.Accepted))
            {
                LogSiteNotReady(stored.Id, site.Value, answer.Code, answer.Message);
            }

            int[] counts = [.. ready.Values.Where(r => r.Accepted).Select(r => r.FeatureCount).Distinct()];
            if (counts.Length > 1)
            {
                throw new InvalidDataException($"the sites' data disagree on the number of features ({string.Join(", ", counts)}); check their data contracts.");
            }

            int accepted = ready.Values.Count(r => r.Accepted);
            if (accepted >= minimum && counts.Length == 1)
            {
                features = counts[0];

                // A site that declined the job is out of it: no task goes to it and its replies are refused. A site
                // that has not answered yet (still reconnecting, e.g. after a coordinator restart) stays in: it
                // gets the announcement when it connects, and its tasks wait for it, as in the simulation.
                session.Restrict(enrolled.Where(s => !ready.TryGetValue(s, out JobReadiness? answer) || answer.Accepted));
                break;
            }

            LogWaitingForSites(stored.Id, accepted, minimum);
        }

        ModelSpec spec = job.ModelFor(features);
        spec.Validate();
        RandomSource random = new(job.Seed);
        ParameterVector initial = new(spec.CreateLayout());
        spec.CreateModel(1).Initialize(initial.Values, random.Derive("init")); // the simulation's initial model
        JobRunner runner = new(services.Jobs, session, stored.Id, job, new GlobalModel(spec, initial, new RoundNumber(0)), time, log) { Ledger = services.Ledger };
        JobRunOutcome outcome = await runner.RunAsync(new RoundMetrics(services.Metrics, stored.Id), cancellationToken).ConfigureAwait(false);
        LogEnded(stored.Id, outcome.State, outcome.RoundsCompleted);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job} ({Name}) starting; asking its {Sites} enrolled site(s)")]
    private partial void LogStarting(string job, string name, int sites);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {Job}: site {Site} cannot run it ({Code}): {Message}")]
    private partial void LogSiteNotReady(string job, string site, string code, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job}: {Ready} site(s) ready, {Minimum} needed; waiting")]
    private partial void LogWaitingForSites(string job, int ready, int minimum);

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
