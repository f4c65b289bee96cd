using Consortia.SecureAggregation.Protocol;

namespace Consortia.Federation.Sites;

/// <summary>
/// Before round 1 of a job with <c>fairness.reweighting</c>: count the site's training records per (group, label) of the
/// job's reweighting attribute and release only that integer vector (plain, or through the secure-aggregation session it
/// names), so that the coordinator can sum the counts and send the sum back with the training tasks
/// (<see cref="TrainTask.ReweightingCounts"/>). The site reads the attribute from the job it accepted, never from the task.
/// </summary>
/// <param name="Site">The site.</param>
/// <param name="Round">Round 0: the counting comes before the job's first round.</param>
public sealed record ReweightingCountTask(SiteId Site, RoundNumber Round) : SiteTask(Site, Round)
{
    /// <summary>
    /// When set, the site releases its counts only as a masked input of this secure-aggregation session (it replies
    /// <see cref="TrainingPrepared"/>, and the session runs through <see cref="SecAggTask"/>s of round 0);
    /// <see langword="null"/>: the site replies <see cref="FairnessCountsReleased"/> with its vector.
    /// </summary>
    public SecAggSessionOptions? SecureSession { get; init; }

    /// <summary>The site's 1-based index among <see cref="SecureSession"/>'s participants.</summary>
    public int Participant { get; init; }

    /// <summary>The secure-aggregation session id of the counting of <paramref name="run"/> (sites require it: the masks are bound to this use).</summary>
    /// <param name="run">The job run (the coordinator's job id).</param>
    /// <returns>The session's job id.</returns>
    public static string SessionJobId(string run) => "fairness-reweighting/" + run;
}
