using Consortia.Learning;
using Consortia.SecureAggregation.Protocol;

namespace Consortia.Federation.Sites;

/// <summary>
/// Audit a model of a job run the site took part in: count, per declared group, the model's outcomes on the site's own
/// test data, and release only that integer vector (plain, or through the secure-aggregation session it names).
/// </summary>
/// <param name="Site">The site.</param>
/// <param name="Round">The round that produced the audited model.</param>
/// <param name="AuditedRun">The run id of the audited job (the coordinator's job id, as in the site's ledger).</param>
/// <param name="JobYaml">The audited job's file as it was announced: the site checks its hash against the job it accepted and
/// reads the attributes' groups from its <c>fairness:</c> section, never from the coordinator.</param>
/// <param name="Parameters">The audited model's parameters.</param>
/// <param name="Attributes">The attributes to audit by (names under the job's <c>fairness.groups</c>); the site is always audited.</param>
/// <param name="Sites">The audit's sites in order (one group of the site attribute each); this site must be one of them.</param>
/// <param name="Threshold">The decision threshold of the confusion matrices, in [0, 1].</param>
public sealed record FairnessAuditTask(
    SiteId Site, RoundNumber Round, string AuditedRun, string JobYaml, ParameterVector Parameters, IReadOnlyList<string> Attributes, IReadOnlyList<string> Sites, float Threshold)
    : SiteTask(Site, Round)
{
    /// <summary>
    /// When set, the site releases its counts only as a masked input of this secure-aggregation session (it replies
    /// <see cref="TrainingPrepared"/>, and the session runs through <see cref="SecAggTask"/>s of <see cref="SiteTask.Round"/>);
    /// <see langword="null"/>: the site replies <see cref="FairnessCountsReleased"/> with its vector.
    /// </summary>
    public SecAggSessionOptions? SecureSession { get; init; }

    /// <summary>The site's 1-based index among <see cref="SecureSession"/>'s participants.</summary>
    public int Participant { get; init; }
}
