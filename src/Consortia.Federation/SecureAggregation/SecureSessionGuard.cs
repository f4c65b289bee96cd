using Consortia.Federation.Sites;
using Consortia.Federation.Sites.Guards;
using Consortia.Governance.Policies;
using Consortia.Governance.Roster;
using Consortia.SecureAggregation.Protocol;

namespace Consortia.Federation.SecureAggregation;

/// <summary>
/// The site's own rules for a secure aggregation session, checked before it trains: the coordinator chooses the
/// session's parameters, so the site refuses any it would not have chosen itself.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>secagg-mode</c>: the session runs in malicious-server mode (signed advertisements, consistency check).</item>
/// <item><c>secagg-roster</c>: the site has an accepted roster and a signing key, the site is the participant the task
/// names, and every participant is a roster member (a puppet the coordinator made up is not).</item>
/// <item><c>secagg-threshold</c>: 2t &gt; holders, so no minority of holders together with the coordinator can
/// reconstruct both secrets of one site; and t ≥ the policy's minimum sites per aggregate. Since the client refuses to
/// sign or unmask a survivor set smaller than max(t, the session's minimum aggregate size), this also makes the site
/// refuse to release shares for any survivor set smaller than its policy's minimum.</item>
/// </list>
/// Each refusal names its rule and is written to the site's ledger as a policy decision.
/// </remarks>
internal sealed class SecureSessionGuard(SiteId site, ConsortiumRoster? roster, bool canSign, PolicyEvaluator policy, SiteAudit audit) : ISiteGuard
{
    /// <summary>Rule: the session's security mode.</summary>
    public const string ModeRule = SecureSessionRules.ModeRule;

    /// <summary>Rule: participants authenticated against the accepted roster.</summary>
    public const string RosterRule = SecureSessionRules.RosterRule;

    /// <summary>Rule: the Shamir threshold.</summary>
    public const string ThresholdRule = SecureSessionRules.ThresholdRule;

    public Refused? Check(TrainTask task)
    {
        if (task.SecureSession is not { } secure)
        {
            return null;
        }

        (string Rule, string Reason)? problem = Problem(secure);
        if (problem is not { } refusal)
        {
            return null;
        }

        audit.PolicyDecision(task.Round.Value, PolicyDecision.From([new RuleResult(refusal.Rule, false, refusal.Reason)], policy.Policy));
        return new Refused(site, task.Round, refusal.Rule, refusal.Reason);
    }

    /// <summary>The same rules for the session a FedBuff flush asks the site's held update to join.</summary>
    /// <param name="task">The flush.</param>
    /// <returns>A refusal naming the rule, or <see langword="null"/>.</returns>
    public Refused? Check(SecureFlushTask task)
    {
        if (Problem(task.Session) is not { } refusal)
        {
            return null;
        }

        audit.PolicyDecision(task.Round.Value, PolicyDecision.From([new RuleResult(refusal.Rule, false, refusal.Reason)], policy.Policy));
        return new Refused(site, task.Round, refusal.Rule, refusal.Reason);
    }

    private (string Rule, string Reason)? Problem(SecureTrainingSession secure) =>
        SecureSessionRules.Problem(site, secure.Session, secure.Participant, roster, canSign, policy.Policy);
}
