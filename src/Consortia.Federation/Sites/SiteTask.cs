using Consortia.Federation.SecureAggregation;
using Consortia.Learning;
using Consortia.SecureAggregation.Protocol.Messages;
using Consortia.Learning.Training;

namespace Consortia.Federation.Sites;

/// <summary>Work the coordinator sends to one site for one round.</summary>
/// <param name="Site">The site that must do the work.</param>
/// <param name="Round">The round.</param>
public abstract record SiteTask(SiteId Site, RoundNumber Round)
{
    /// <summary>The SHA-256 of the job the task belongs to (<see cref="Jobs.JobDefinition.ContentSha256"/>); a site refuses a task
    /// whose hash is not the one of the job it accepted (rule <c>task-job</c>).</summary>
    /// <value>Default empty: matches no job.</value>
    public string JobSha256 { get; init; } = string.Empty;
}

/// <summary>Train locally from the global parameters and return the weighted update.</summary>
/// <param name="Site">The site.</param>
/// <param name="Round">The round.</param>
/// <param name="GlobalParameters">The current global parameters (the site must not mutate them).</param>
/// <param name="Training">Local training configuration for this round.</param>
/// <param name="ControlVariate">SCAFFOLD's server control variate c, or <see langword="null"/> for other strategies.</param>
/// <param name="SecureSession">When set, the site keeps its update and contributes it only through this secure
/// aggregation session; it replies <see cref="TrainingPrepared"/> instead of sending the update.</param>
/// <param name="Dp">Sample-level DP-SGD settings, or <see langword="null"/> for non-private training.</param>
public sealed record TrainTask(SiteId Site, RoundNumber Round, ParameterVector GlobalParameters, LocalTrainingOptions Training, ParameterVector? ControlVariate = null, SecureTrainingSession? SecureSession = null, SiteDpSettings? Dp = null)
    : SiteTask(Site, Round)
{
    /// <summary>How many sites the round's aggregate will combine (site policies set a minimum).</summary>
    public int Participants { get; init; }

    /// <summary>Client-level DP-FedAvg: clip the whole update to this round's bound, or <see langword="null"/>.</summary>
    public ClientDpRound? ClientDp { get; init; }

    /// <summary>
    /// Which start of the job (at the coordinator) runs this round: a round that was started but not completed before a
    /// coordinator crash is run again under a new attempt, never under the same (round, attempt) identity. A site takes
    /// part in each identity at most once, and only in increasing order (rule <c>round-repeated</c>).
    /// </summary>
    /// <value>Default 0.</value>
    public int Attempt { get; init; }

    /// <summary>FedNova: divide the weighted update by the local step count (the coordinator sized each site's work to its speed).</summary>
    public bool NormaliseWork { get; init; }

    /// <summary>
    /// Asynchronous aggregation under secure aggregation (FedBuff): train, keep the clipped, weighted update at the site
    /// and reply <see cref="TrainingPrepared"/>; the update leaves the site only masked, in the session a later
    /// <see cref="SecureFlushTask"/> names. Used without <see cref="SecureSession"/>: the session's participants (the first
    /// sites to finish) are not known until the buffer fills.
    /// </summary>
    public bool HoldForSecureAggregation { get; init; }

    /// <summary>
    /// A job with <c>fairness.reweighting</c>: the (group, label) counts of all sites' training records, summed by the
    /// coordinator from the sites' <see cref="ReweightingCountTask"/> releases (index 2·g + y). The site checks the sum
    /// against what it knows and computes the Kamiran–Calders weights itself (<see cref="Fairness.ReweightingSumCheck"/>);
    /// <see langword="null"/> for any other job.
    /// </summary>
    /// <value>Default <see langword="null"/>.</value>
    public IReadOnlyList<long>? ReweightingCounts { get; init; }
}

/// <summary>
/// FedBuff under secure aggregation: contribute the update the site holds (<see cref="TrainTask.HoldForSecureAggregation"/>)
/// to this flush's secure aggregation session, scaled by its staleness weight before it is masked (the coordinator
/// cannot weight inside the sum). The site replies <see cref="TrainingPrepared"/>; the session then runs through
/// <see cref="SecAggTask"/>s of <paramref name="Round"/>.
/// </summary>
/// <param name="Site">The site.</param>
/// <param name="Round">The flush (the round whose model the aggregate makes).</param>
/// <param name="Session">The session over the buffer's sites.</param>
/// <param name="TrainedRound">The round of the training task whose held update is meant.</param>
/// <param name="StalenessScale">1/√(1 + staleness), staleness = <paramref name="Round"/> − <paramref name="TrainedRound"/>:
/// the coordinator knows it when the session forms, since the session forms after the sites finished.</param>
public sealed record SecureFlushTask(SiteId Site, RoundNumber Round, SecureTrainingSession Session, RoundNumber TrainedRound, float StalenessScale)
    : SiteTask(Site, Round);

/// <summary>One secure aggregation protocol message for the site's session of this round.</summary>
/// <param name="Site">The site.</param>
/// <param name="Round">The round.</param>
/// <param name="Message">The coordinator's protocol message.</param>
public sealed record SecAggTask(SiteId Site, RoundNumber Round, SecAggServerMessage Message)
    : SiteTask(Site, Round);

/// <summary>Evaluate parameters on the site's local test data and return aggregate metrics only.</summary>
/// <param name="Site">The site.</param>
/// <param name="Round">The round.</param>
/// <param name="Parameters">The parameters to evaluate.</param>
public sealed record EvaluateTask(SiteId Site, RoundNumber Round, ParameterVector Parameters)
    : SiteTask(Site, Round)
{
    /// <summary>How many sites contributed to the model being evaluated (0 when unknown).</summary>
    public int Contributors { get; init; }
}
