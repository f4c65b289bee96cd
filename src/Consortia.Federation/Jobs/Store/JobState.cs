namespace Consortia.Federation.Jobs.Store;

/// <summary>Where a job is in its life: queued → running → completed | failed | cancelled | refused (the last four are final).</summary>
public enum JobState
{
    /// <summary>Submitted, not started.</summary>
    Queued,

    /// <summary>Started; rounds are being (or, after a crash, will be) run.</summary>
    Running,

    /// <summary>Every round committed; the latest checkpoint is the final model.</summary>
    Completed,

    /// <summary>Stopped by an error that a restart would not cure.</summary>
    Failed,

    /// <summary>Stopped at an operator's request.</summary>
    Cancelled,

    /// <summary>Stopped because every site asked refused it under its policy (the message names each site's rule).</summary>
    Refused,
}
