namespace Consortia.Federation.Jobs.Store;

/// <summary>A job state change that the lifecycle does not allow (e.g. cancelling a completed job).</summary>
public sealed class JobStateException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    public JobStateException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was refused.</param>
    public JobStateException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What was refused.</param>
    /// <param name="innerException">The cause.</param>
    public JobStateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a refused transition.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="from">Its current state.</param>
    /// <param name="action">The refused change, e.g. <c>cancel</c>.</param>
    public JobStateException(string jobId, JobState from, string action)
        : base($"job {jobId}: cannot {action} a job that is {from.ToString().ToLowerInvariant()}.")
    {
        JobId = jobId;
        From = from;
    }

    /// <summary>The job, when known.</summary>
    public string? JobId { get; }

    /// <summary>The state the job was in, when known.</summary>
    public JobState? From { get; }
}
