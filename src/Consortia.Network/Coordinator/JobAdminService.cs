using System.Globalization;
using Consortia.Federation.Jobs;
using Consortia.Network.Protos;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Coordinator;

/// <summary>
/// The admin API: submit, inspect and cancel jobs. Every call must carry the admin bearer credential
/// (checked by the admin interceptor before this service runs); a job file is validated in full before it is
/// stored, and a bad one is refused with the loader's file:line:field message.
/// </summary>
internal sealed partial class JobAdminService(CoordinatorServices services, CoordinatorJobLoop loop, ILogger<JobAdminService> log) : JobAdmin.JobAdminBase
{
    /// <summary>The largest job file accepted.</summary>
    public const int MaxJobFileBytes = 1 << 20;

    /// <inheritdoc />
    public override Task<JobStatus> SubmitJob(SubmitJobRequest request, ServerCallContext context)
    {
        services.AdminCredential.Check(context);
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

        if (job.Baselines is not null)
        {
            LogBaselinesIgnored(name);
        }

        string id = services.Jobs.Submit(job.Name, job.Owner, request.JobYaml, job.Engine.Rounds);
        LogSubmitted(id, job.Name);
        loop.Submitted();
        return Task.FromResult(Status(id));
    }

    /// <inheritdoc />
    public override Task<JobStatus> GetJob(JobRequest request, ServerCallContext context)
    {
        services.AdminCredential.Check(context);
        return Task.FromResult(Status(request.JobId));
    }

    /// <inheritdoc />
    public override Task<JobList> ListJobs(ListJobsRequest request, ServerCallContext context)
    {
        services.AdminCredential.Check(context);
        JobList list = new();
        list.Jobs.AddRange(services.Jobs.List().Select(j => Status(j, withRounds: false)));
        return Task.FromResult(list);
    }

    /// <inheritdoc />
    public override Task<JobStatus> CancelJob(JobRequest request, ServerCallContext context)
    {
        services.AdminCredential.Check(context);
        _ = Find(request.JobId);
        services.Jobs.RequestCancel(request.JobId);
        loop.CancelRunning(request.JobId);
        LogCancelRequested(request.JobId);
        return Task.FromResult(Status(request.JobId));
    }

    private StoredJob Find(string id) =>
        services.Jobs.Get(id) ?? throw new RpcException(new Status(StatusCode.NotFound, $"no job '{id}'."));

    private JobStatus Status(string id) => Status(Find(id), withRounds: true);

    private JobStatus Status(StoredJob job, bool withRounds)
    {
        JobStatus status = new()
        {
            JobId = job.Id,
            Name = job.Name,
            Status = job.Status,
            Message = job.Message ?? "",
            RoundsCompleted = job.RoundsCompleted,
            RoundsTotal = job.RoundsTotal,
            SubmittedAt = job.SubmittedAt.ToString("O", CultureInfo.InvariantCulture),
        };
        if (withRounds)
        {
            status.Rounds.AddRange(services.Jobs.Rounds(job.Id));
        }

        return status;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job} ({Name}) submitted")]
    private partial void LogSubmitted(string job, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "refused job file {File}: {Reason}")]
    private partial void LogRefused(string file, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "job file {File}: its baselines section is for simulation only and is ignored")]
    private partial void LogBaselinesIgnored(string file);

    [LoggerMessage(Level = LogLevel.Information, Message = "job {Job}: cancellation requested")]
    private partial void LogCancelRequested(string job);
}
