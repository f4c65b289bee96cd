using Consortia.Governance.Agreements;
using Consortia.Governance.Policies;
using Consortia.Governance.Roster;
using Consortia.Privacy.Budget;

namespace Consortia.Federation.Sites.Guards;

/// <summary>
/// The consortium agreement at the site's door, beside its own policy: a site whose policy names an agreement
/// (<c>agreement: {file, signatures}</c>) refuses every task of a job outside it, naming the clause (rules
/// <c>agreement-*</c>, <see cref="AgreementRules"/>), and every decision goes to the site's ledger.
/// </summary>
/// <remarks>
/// <para>The agreement and its signatures are read from disk when the job's first task arrives (not when the node starts),
/// so an agreement altered or unsigned since is refused by the next job. The whole agreement is evaluated once per job;
/// its validity dates again on every task, because an agreement can expire during a job.</para>
/// <para>Training and evaluation tasks are both refused: a site outside the agreement releases nothing, not even metrics.</para>
/// </remarks>
internal sealed class AgreementGuard : ISiteGuard
{
    private readonly SiteId _site;
    private readonly AgreementReference _reference;
    private readonly SitePolicy _policy;
    private readonly JobDescriptor _job;
    private readonly TimeProvider _time;
    private readonly PrivacyBudgetLedger? _budget;
    private readonly SiteAudit _audit;
    private readonly ConsortiumRoster? _roster;
    private PolicyDecision? _jobDecision;
    private ConsortiumAgreement? _agreement;

    private AgreementGuard(SiteId site, AgreementReference reference, SitePolicy policy, JobDescriptor job, TimeProvider time, PrivacyBudgetLedger? budget, SiteAudit audit, ConsortiumRoster? roster)
    {
        _roster = roster;
        _site = site;
        _reference = reference;
        _policy = policy;
        _job = job;
        _time = time;
        _budget = budget;
        _audit = audit;
    }

    /// <summary>The guard for a site whose policy names an agreement, or <see langword="null"/> when it names none.</summary>
    /// <param name="site">The site.</param>
    /// <param name="policy">The site's policy, or <see langword="null"/> (the policy guard then refuses everything).</param>
    /// <param name="job">The job as policies and agreements see it.</param>
    /// <param name="time">The clock for the validity dates.</param>
    /// <param name="budget">The site's privacy budget ledger (the ε already spent, for the lifetime cap), or <see langword="null"/>.</param>
    /// <param name="audit">The site's ledger.</param>
    /// <param name="roster">The consortium roster the site accepted: a signature by a key it does not list for that member does not count; <see langword="null"/> in simulation.</param>
    /// <returns>The guard or <see langword="null"/>.</returns>
    public static AgreementGuard? For(SiteId site, SitePolicy? policy, JobDescriptor job, TimeProvider time, PrivacyBudgetLedger? budget, SiteAudit audit, ConsortiumRoster? roster) =>
        policy?.Agreement is { } reference ? new AgreementGuard(site, reference, policy, job, time, budget, audit, roster) : null;

    public Refused? Check(TrainTask task) => Check(task.Round);

    /// <summary>An evaluation under the agreement: refused when the job is outside it or the agreement has expired.</summary>
    /// <param name="task">The evaluation task.</param>
    /// <returns>A refusal naming the clause, or <see langword="null"/>.</returns>
    public Refused? CheckEvaluation(EvaluateTask task) => Check(task.Round);

    private Refused? Check(RoundNumber round)
    {
        PolicyDecision decision = JobDecision();
        if (decision.Accepted && _agreement is { } agreement)
        {
            RuleResult validity = AgreementEvaluator.ValidityRule(agreement, _time.GetUtcNow());
            if (!validity.Passed)
            {
                decision = new PolicyDecision(false, [validity], agreement.Version, agreement.Sha256);
                _audit.PolicyDecision(round.Value, decision);
            }
        }

        if (decision.Accepted)
        {
            return null;
        }

        RuleResult first = decision.FailedRules.First();
        return new Refused(_site, round, first.Rule, first.Reason);
    }

    private PolicyDecision JobDecision()
    {
        if (_jobDecision is null)
        {
            (_jobDecision, _agreement) = AgreementEvaluator.Evaluate(_reference, _site.Value, _job, _policy, _time.GetUtcNow(), _budget?.GetSpent().Epsilon ?? 0, _roster);
            _audit.PolicyDecision(null, _jobDecision);
        }

        return _jobDecision;
    }
}
