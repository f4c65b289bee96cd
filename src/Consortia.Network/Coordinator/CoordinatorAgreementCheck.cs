using Consortia.Federation;
using Consortia.Governance.Agreements;
using Consortia.Governance.Policies;

namespace Consortia.Network.Coordinator;

/// <summary>
/// The coordinator's side of an agreement's enforcement: before a job of a consortium is scheduled, it is evaluated with
/// the sites' own <see cref="AgreementEvaluator"/> against the consortium's agreement (in force: quorum signed, within its
/// dates; purpose, submitter, task, model kind, strategy, data, protections, ε caps), and it goes only to the agreement's
/// members. The sites check again under their own policy; the coordinator's check means a job outside the agreement never
/// reaches them, and its refusal is recorded in the consortium's ledger naming the clause.
/// </summary>
internal static class CoordinatorAgreementCheck
{
    /// <summary>The clause that names the sites a job goes to (reused from the site's check of its own membership).</summary>
    public const string MemberRule = AgreementRules.Member;

    /// <summary>
    /// Evaluates the job. The per-site clauses are read for the consortium as a whole: membership becomes the list of
    /// candidates that may take part (the others get no task, and the decision says who and why), and the lifetime ε
    /// clause checks the job's ε alone (each site adds what it has already spent, which only it knows).
    /// </summary>
    /// <param name="reference">The consortium's agreement.</param>
    /// <param name="job">The job as policies see it.</param>
    /// <param name="candidates">The consortium's roster members (sorted).</param>
    /// <param name="now">The instant the job would start.</param>
    /// <returns>The decision (refused by <see cref="AgreementRules.File"/> when the files cannot be used) and the members the job may go to.</returns>
    public static (PolicyDecision Decision, IReadOnlyList<SiteId> Members) Evaluate(AgreementReference reference, JobDescriptor job, IReadOnlyList<SiteId> candidates, DateTimeOffset now)
    {
        (AgreementStatus? status, string? problem) = reference.Open();
        if (status is null)
        {
            return (new PolicyDecision(false, [new RuleResult(AgreementRules.File, false, $"the consortium's agreement cannot be used: {problem}")], null, null), []);
        }

        ConsortiumAgreement agreement = status.Agreement;
        SiteId[] members = [.. candidates.Where(s => agreement.FindMember(s.Value) is not null)];
        string[] outside = [.. candidates.Where(s => agreement.FindMember(s.Value) is null).Select(s => s.Value)];
        // Any member name satisfies the evaluator's own membership clause, which is replaced below by the consortium's.
        string asMember = agreement.Members.Count > 0 ? agreement.Members[0].Site : string.Empty;
        PolicyDecision site = AgreementEvaluator.Evaluate(status, asMember, job, sitePolicy: null, now, lifetimeEpsilonSpent: 0);
        string reason = members.Length == 0
            ? $"no site of the consortium's roster is a member of the agreement{(outside.Length > 0 ? $" (not members: {string.Join(", ", outside)})" : string.Empty)}"
            : $"the job goes to the agreement's members {string.Join(", ", members.Select(m => m.Value))}{(outside.Length > 0 ? $"; roster sites outside the agreement get no task: {string.Join(", ", outside)}" : string.Empty)}";
        RuleResult[] rules = [.. site.Rules.Select(r => r.Rule == MemberRule ? new RuleResult(MemberRule, members.Length > 0, reason) : r)];
        return (new PolicyDecision(rules.All(r => r.Passed), rules, site.PolicyVersion, site.PolicySha256), members);
    }

    /// <summary>The refusal message: every broken clause by name, with its reason.</summary>
    public static string Refusal(string consortium, PolicyDecision decision) =>
        $"refused by the agreement of {consortium}: {string.Join("; ", decision.FailedRules.Select(r => $"{r.Rule}: {r.Reason}"))}";
}
