using Consortia.Federation;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Federation.Jobs.Store;
using Consortia.Network.Protos;
using Consortia.Network.Transport;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Coordinator;

/// <summary>
/// Runs the coordinator's jobs one at a time, oldest first; a job that was running when the coordinator
/// stopped (even by kill -9) is taken up again first and resumes after its last committed round.
/// </summary>
internal sealed partial class CoordinatorJobLoop(CoordinatorServices services, TimeProvider time, ILogger<CoordinatorJobLoop> log) : BackgroundService
{
    private readonly SemaphoreSlim _submitted = new(0);
    private readonly Lock _gate = new();
    private (string JobId, CancellationTokenSource Cancel)? _running;
    private volatile bool _ready;

    /// <summary>Whether the loop has started (the store is open and jobs are being taken).</summary>
    public bool IsReady => _ready;

    /// <summary>Wakes the loop: a job was submitted.</summary>
    public void Submitted() => _submitted.Release();

    /// <summary>Cancels the job if it is the one running now (a queued job is cancelled in the store alone).</summary>
    public void CancelRunning(string jobId)
    {
        lock (_gate)
        {
            if (_running is { } running && string.Equals(running.JobId, jobId, StringComparison.Ordinal))
            {
                running.Cancel.Cancel();
            }
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _ready = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            JobRecord? job = services.Jobs.ListIncompleteJobs().FirstOrDefault(j => !j.IsFinal);
            if (job is null)
            {
                try
                {
                    await _submitted.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                continue;
            }

            using CancellationTokenSource cancel = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            lock (_gate)
            {
                _running = (job.Id, cancel);
            }

            try
            {
                await RunAsync(job, cancel.Token).ConfigureAwait(false);
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
            }
            catch (Exception e) when (e is JobFileException or InvalidDataException or ArgumentException)
            {
                // The job itself cannot run (bad file, sites disagree on the data): a retry would fail the same way.
                services.Jobs.MarkFailed(job.Id, e.Message);
                LogFailed(job.Id, e);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Left running by the runner on purpose (transport or database trouble): try again shortly.
                LogFailed(job.Id, e);
                await Task.Delay(TimeSpan.FromSeconds(2), time, stoppingToken).ConfigureAwait(false);
            }
            finally
            {
                services.Transport.EndJob();
                lock (_gate)
                {
                    _running = null;
                }
            }
        }
    }

    private async Task RunAsync(JobRecord stored, CancellationToken cancellationToken)
    {
        JobDefinition job = JobFile.Parse(stored.YamlText, Path.Combine(services.Config.Home, "jobs", stored.Id + ".yaml"));
        IReadOnlyList<SiteId> roster = services.Identity.ActiveSites();
        services.Transport.BeginJob(stored.Id, stored.YamlText, roster);
        LogStarting(stored.Id, job.Name, roster.Count);

        int minimum = Math.Max(1, job.Engine.MinimumParticipants);
        int features;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            IReadOnlyDictionary<SiteId, JobReadyProto> ready = await services.Transport.PrepareJobAsync(services.Config.JobStartTimeoutSpan, cancellationToken).ConfigureAwait(false);
            foreach ((SiteId site, JobReadyProto answer) in ready.Where(r => !r.Value.Accepted))
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
                break;
            }

            LogWaitingForSites(stored.Id, accepted, minimum);
        }

        ModelSpec spec = job.ModelFor(features);
        spec.Validate();
        RandomSource random = new(job.Seed);
        ParameterVector initial = new(spec.CreateLayout());
        spec.CreateModel(1).Initialize(initial.Values, random.Derive("init")); // the simulation's initial model
        JobRunner runner = new(services.Jobs, services.Transport, stored.Id, job, new GlobalModel(spec, initial, new RoundNumber(0)), time, log) { Ledger = services.Ledger };
        JobRunOutcome outcome = await runner.RunAsync(new RoundMetrics(services.Metrics), cancellationToken).ConfigureAwait(false);
        LogEnded(stored.Id, outcome.State, outcome.RoundsCompleted);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job} ({Name}) starting with {Sites} enrolled site(s)")]
    private partial void LogStarting(string job, string name, int sites);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {Job}: site {Site} cannot run it ({Code}): {Message}")]
    private partial void LogSiteNotReady(string job, string site, string code, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job}: {Ready} site(s) ready, {Minimum} needed; waiting")]
    private partial void LogWaitingForSites(string job, int ready, int minimum);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job} ended: {State} after {Rounds} rounds")]
    private partial void LogEnded(string job, JobState state, int rounds);

    /// <summary>Feeds each committed round into the Prometheus metrics.</summary>
    private sealed class RoundMetrics(NetworkMetrics metrics) : IProgress<Federation.Engine.RoundReport>
    {
        public void Report(Federation.Engine.RoundReport value) => metrics.ObserveRound(value.Aggregated, value.Contributors.Count, value.Elapsed);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {Job} cancelled")]
    private partial void LogCancelled(string job);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job} suspended by shutdown; it resumes at the next start")]
    private partial void LogSuspended(string job);

    [LoggerMessage(Level = LogLevel.Error, Message = "job {Job} failed")]
    private partial void LogFailed(string job, Exception error);
}
