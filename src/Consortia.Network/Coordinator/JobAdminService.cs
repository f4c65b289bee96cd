using System.Globalization;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Learning.Metrics;
using Consortia.Federation.Jobs.Store;
using Consortia.Network.Identity;
using Consortia.Network.Protos;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Coordinator;

/// <summary>
/// The admin API: submit, inspect and cancel jobs. Every call must carry the admin bearer credential
/// (checked by <see cref="Identity.AdminCredentialInterceptor"/> before this service runs); a job file is validated in full before it is
/// stored, and a bad one is refused with the loader's file:line:field message.
/// </summary>
internal sealed partial class JobAdminService(CoordinatorServices services, CoordinatorJobLoop loop, ILogger<JobAdminService> log) : JobAdmin.JobAdminBase
{
    /// <summary>The largest job file accepted.</summary>
    public const int MaxJobFileBytes = 1 << 20;

    /// <inheritdoc />
    public override Task<JobStatus> SubmitJob(SubmitJobRequest request, ServerCallContext context)
    {
        if (request.JobYaml.Length > MaxJobFileBytes)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"the job file is larger than {MaxJobFileBytes} bytes."));
        }

        string name = string.IsNullOrWhiteSpace(request.FileName) ? "job.yaml" : Path.GetFileName(request.FileName);
        JobDefinition job;
        try
        {
            job = JobFile.Parse(request.JobYaml, Path.Combine(services.Config.Home, "jobs", name));
        }
        catch (JobFileException e)
        {
            LogRefused(name, e.Message);
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }

        if (job.Scheduling?.Buffer is { } buffer)
        {
            // FedBuff's carry-over between rounds exists in simulation only (docs/job-file.md): refuse rather than run another strategy.
            string message = $"{name}: scheduling.buffer ({buffer}): asynchronous aggregation (FedBuff) runs in simulation only (`consortia simulate` with simulation.profiles); the deployed transport does not run it yet. Remove it, or use scheduling.deadline_seconds and over_selection, which deployments run.";
            LogRefused(name, message);
            throw new RpcException(new Status(StatusCode.InvalidArgument, message));
        }

        if (services.Consortia.For(job, out string? unknown) is null)
        {
            LogRefused(name, unknown!);
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"{name}: consortium: {unknown}."));
        }

        if (job.Baselines is not null)
        {
            LogBaselinesIgnored(name);
        }

        string id = services.Jobs.SubmitJob(new JobSubmission(job.Name, job.Owner, request.JobYaml, job.Engine.Rounds)).Id;
        LogSubmitted(id, job.Name);
        loop.Submitted();
        return Task.FromResult(Status(id));
    }

    /// <inheritdoc />
    public override Task<JobStatus> GetJob(JobRequest request, ServerCallContext context)
    {
        return Task.FromResult(Status(request.JobId));
    }

    /// <inheritdoc />
    public override Task<JobList> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        JobList list = new();
        list.Jobs.AddRange(services.Jobs.ListJobs().Select(j => Status(j, withRounds: false)));
        return Task.FromResult(list);
    }

    /// <inheritdoc />
    public override Task<JobStatus> CancelJob(JobRequest request, ServerCallContext context)
    {
        JobRecord job = Find(request.JobId);
        if (job.State == JobState.Cancelled)
        {
            return Task.FromResult(Status(job, withRounds: true)); // cancelling again changes nothing
        }

        try
        {
            services.Jobs.RequestCancel(request.JobId);
        }
        catch (JobStateException e) when (e.From is { } state)
        {
            // Ended otherwise meanwhile or before: say so plainly instead of failing the call.
            string ended = state.ToString().ToLowerInvariant();
            throw new RpcException(new Status(StatusCode.FailedPrecondition, $"job {request.JobId} has already ended ({ended}); there is nothing to cancel."));
        }

        loop.CancelRunning(request.JobId);
        LogCancelRequested(request.JobId);
        return Task.FromResult(Status(request.JobId));
    }

    /// <inheritdoc />
    public override Task<ModelExport> GetModel(JobRequest request, ServerCallContext context)
    {
        JobRecord job = Find(request.JobId);
        Checkpoint checkpoint;
        try
        {
            checkpoint = services.Jobs.LoadLatestCheckpoint(job.Id)
                ?? throw new RpcException(new Status(StatusCode.FailedPrecondition, $"job {job.Id} ({job.State.ToString().ToLowerInvariant()}) has no model yet: it has not started."));
        }
        catch (JobStoreException e)
        {
            throw new RpcException(new Status(StatusCode.DataLoss, e.Message));
        }

        ModelExport export = new()
        {
            JobId = job.Id,
            Name = job.Name,
            Status = job.State.ToString().ToLowerInvariant(),
            Round = checkpoint.Round.Value,
            ModelRound = checkpoint.ModelRound.Value,
            Sha256 = checkpoint.ModelSha256,
        };
        export.Segments.AddRange(checkpoint.Parameters.Layout.Segments.Select(s => new ModelSegment { Name = s.Name, Shape = { s.Shape } }));
        export.Values.AddRange(checkpoint.Parameters.Values.ToArray());
        return Task.FromResult(export);
    }

    /// <inheritdoc />
    public override Task<SiteList> ListSites(ListSitesRequest request, ServerCallContext context)
    {
        SiteList list = new();
        // The roster key each site enrolled (or last renewed) with: the newest certificate's record.
        IReadOnlyDictionary<string, Consortia.Governance.Audit.LedgerPublicKey> keys = services.Identity.RosterKeys();
        list.Sites.AddRange(services.Transport.Sites().Select(s => new SiteState
        {
            RosterKey = keys.GetValueOrDefault(s.Site.Value)?.Fingerprint ?? "",
            Site = s.Site.Value,
            Connected = s.Connected,
            LastSeen = s.LastSeen.ToString("O", CultureInfo.InvariantCulture),
            ConnectedSince = s.ConnectedSince?.ToString("O", CultureInfo.InvariantCulture) ?? "",
            NodeVersion = s.NodeVersion,
            Capacity = s.Capacity,
            Jobs = { s.Jobs },
            Consortia = { s.Consortia },
        }));
        return Task.FromResult(list);
    }

    /// <inheritdoc />
    public override async Task<FairnessAuditReport> AuditFairness(FairnessAuditRequest request, ServerCallContext context)
    {
        if (request.Groups.Count > Transport.FairnessWire.MaxAttributes)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"groups: at most {Transport.FairnessWire.MaxAttributes} attributes."));
        }

        try
        {
            (string json, string sha) = await new DeployedFairnessAudit(services, log).RunAsync(request.JobId, [.. request.Groups], context.CancellationToken).ConfigureAwait(false);
            return new FairnessAuditReport { JobId = request.JobId, ReportJson = json, ReportSha256 = sha };
        }
        catch (FairnessAuditException e)
        {
            LogAuditRefused(request.JobId, e.Message);
            throw new RpcException(new Status(e.NotFound ? StatusCode.NotFound : StatusCode.FailedPrecondition, e.Message));
        }
    }

    private JobRecord Find(string id) =>
        services.Jobs.FindJob(id) ?? throw new RpcException(new Status(StatusCode.NotFound, $"no job '{id}'."));

    private JobStatus Status(string id) => Status(Find(id), withRounds: true);

    private JobStatus Status(JobRecord job, bool withRounds)
    {
        JobStatus status = new()
        {
            JobId = job.Id,
            Name = job.Name,
            Status = job.State.ToString().ToLowerInvariant(),
            Message = job.StatusMessage ?? "",
            RoundsCompleted = job.RoundsCompleted,
            RoundsTotal = job.TotalRounds,
            SubmittedAt = job.SubmittedAt.ToString("O", CultureInfo.InvariantCulture),
            Consortium = services.Consortia.ConsortiumOf(job),
        };
        if (withRounds)
        {
            status.Rounds.AddRange(services.Jobs.GetRounds(job.Id).Select(r => Summary(r.Report)));
        }

        return status;
    }

    private static RoundSummary Summary(RoundReport report)
    {
        RoundSummary summary = new() { Round = report.Round.Value, Participants = report.Contributors.Count, Aggregated = report.Aggregated };
        if (report.Evaluation is { } evaluation)
        {
            summary.Metrics.AddRange(evaluation.Mean.Select(m => new MetricSummary { Kind = m.Kind.ReportName(), Mean = m.Value }));
        }

        summary.Problems.AddRange(report.Refusals.Select(r => $"{r.Site}: refused ({r.Rule}): {r.Reason}"));
        summary.Problems.AddRange(report.Failures.Select(f => f switch
        {
            Failed failed => $"{f.Site}: failed ({failed.Code}): {failed.Message}",
            Missed => $"{f.Site}: missed the deadline",
            _ => $"{f.Site}: {f.GetType().Name}",
        }));
        if (report.AggregationFailure is { } failure)
        {
            summary.Problems.Add("aggregation failed: " + failure);
        }

        summary.Privacy.AddRange(report.Privacy.Select(p =>
        {
            SiteEpsilon epsilon = new() { Site = p.Site.Value, Epsilon = p.Epsilon, RoundEpsilon = p.RoundEpsilon, Delta = p.Delta, Mechanism = p.Mechanism };
            if (p.LifetimeEpsilon is { } spent && p.LifetimeBudget is { } budget)
            {
                epsilon.LifetimeEpsilon = spent;
                epsilon.LifetimeBudget = budget;
            }

            return epsilon;
        }));
        return summary;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job} ({Name}) submitted")]
    private partial void LogSubmitted(string job, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "refused job file {File}: {Reason}")]
    private partial void LogRefused(string file, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "job file {File}: its baselines section is for simulation only and is ignored")]
    private partial void LogBaselinesIgnored(string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "job {Job}: fairness audit not run: {Reason}")]
    private partial void LogAuditRefused(string job, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job}: cancellation requested")]
    private partial void LogCancelRequested(string job);
}
