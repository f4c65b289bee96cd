using Consortia.Governance.Policies;

namespace Consortia.Governance.Audit.Events;

/// <summary>The site policy decided on a job (<paramref name="Round"/> null) or on one round.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Round">The round, or <see langword="null"/> for the job-level decision.</param>
/// <param name="Accepted">Whether the job or round was accepted.</param>
/// <param name="PolicyVersion">The policy version applied, or <see langword="null"/> when no policy was installed.</param>
/// <param name="PolicySha256">The SHA-256 of the policy file, or <see langword="null"/>.</param>
/// <param name="Rules">Every rule's outcome.</param>
public sealed record PolicyDecisionEvent(string JobId, int? Round, bool Accepted, int? PolicyVersion, string? PolicySha256, IReadOnlyList<RuleResult> Rules) : LedgerEvent
{
    /// <inheritdoc/>
    public override LedgerEventType Type => LedgerEventType.PolicyDecision;

    /// <summary>Creates the event from a decision.</summary>
    /// <param name="jobId">The job.</param>
    /// <param name="round">The round, or <see langword="null"/> for the job-level decision.</param>
    /// <param name="decision">The decision.</param>
    /// <returns>The event.</returns>
    public static PolicyDecisionEvent From(string jobId, int? round, PolicyDecision decision)
    {
        ArgumentNullException.ThrowIfNull(decision);
        return new PolicyDecisionEvent(jobId, round, decision.Accepted, decision.PolicyVersion, decision.PolicySha256, decision.Rules);
    }
}
