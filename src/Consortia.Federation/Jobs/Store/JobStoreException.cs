namespace Consortia.Federation.Jobs.Store;

/// <summary>The coordinator store holds data it cannot use (corrupt, unknown or inconsistent), or a change would break its invariants.</summary>
public sealed class JobStoreException : Exception
{
    /// <summary>Creates the exception.</summary>
    public JobStoreException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    public JobStoreException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public JobStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a job and, where known, a round.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="round">The round, or <see langword="null"/>.</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause, or <see langword="null"/>.</param>
    public JobStoreException(string jobId, int? round, string message, Exception? innerException)
        : base(round is { } r ? $"job {jobId}, round {r}: {message}" : $"job {jobId}: {message}", innerException)
    {
        JobId = jobId;
        Round = round;
    }

    /// <summary>The job concerned, when known.</summary>
    public string? JobId { get; }

    /// <summary>The round concerned, when known.</summary>
    public int? Round { get; }
}
