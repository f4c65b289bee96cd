using Consortia.Governance.Policies;
using Consortia.Learning.Metrics;
using Consortia.Privacy.Budget;

namespace Consortia.Federation.Sites.Guards;

/// <summary>
/// The site's policy at the door: the job when its first task arrives, then every round and every evaluation, before
/// any computation; and the output rules on every metric the site releases. Every decision goes to the site's ledger.
/// </summary>
/// <remarks>An evaluator without a policy refuses everything: a site without a policy takes part in nothing.</remarks>
internal sealed class PolicyGuard : ISiteGuard
{
    private readonly SiteId _site;
    private readonly PolicyEvaluator _evaluator;
    private readonly JobDescriptor _job;
    private readonly TimeProvider _time;
    private readonly PrivacyBudgetLedger? _budget;
    private readonly SiteAudit _audit;
    private readonly Func<TrainTask, (double? JobEpsilon, double? LifetimeEpsilon)>? _roundPrivacy;
    private PolicyDecision? _jobDecision;

    /// <summary>Creates the guard.</summary>
    /// <param name="site">The site.</param>
    /// <param name="evaluator">The site's policy.</param>
    /// <param name="job">The job as the policy sees it.</param>
    /// <param name="time">The clock for the policy's schedule.</param>
    /// <param name="budget">The site's budget ledger (the ε already spent), or <see langword="null"/>.</param>
    /// <param name="audit">The site's ledger.</param>
    /// <param name="roundPrivacy">The job's and the site's ε after a round's charge (the round check's ε fields), or <see langword="null"/>.</param>
    public PolicyGuard(SiteId site, PolicyEvaluator evaluator, JobDescriptor job, TimeProvider time, PrivacyBudgetLedger? budget, SiteAudit audit, Func<TrainTask, (double? JobEpsilon, double? LifetimeEpsilon)>? roundPrivacy = null)
    {
        _roundPrivacy = roundPrivacy;
        _site = site;
        _evaluator = evaluator;
        _job = job;
        _time = time;
        _budget = budget;
        _audit = audit;
    }

    public Refused? Check(TrainTask task)
    {
        PolicyDecision decision = JobDecision();
        if (decision.Accepted)
        {
            // The round's ε after its charge is checked against the per-job ceiling and the lifetime budget.
            (double? jobEpsilon, double? lifetimeEpsilon) = _roundPrivacy?.Invoke(task) ?? (null, null);
            RoundDescriptor round = new(_job.JobId, task.Round.Value, task.Participants) { JobEpsilonAfterRound = jobEpsilon, LifetimeEpsilonAfterRound = lifetimeEpsilon };
            decision = _evaluator.EvaluateRound(round, _time.GetUtcNow());
            if (!decision.Accepted)
            {
                _audit.PolicyDecision(task.Round.Value, decision);
            }
        }

        if (decision.Accepted)
        {
            return null;
        }

        RuleResult first = decision.FailedRules.First();
        return new Refused(_site, task.Round, first.Rule, first.Reason);
    }

    /// <summary>
    /// An evaluation under the same policy as training: the job must have been accepted, the time must be inside a
    /// schedule window, and the job's evaluations must stay under the policy's cap (each one counted durably and written
    /// to the ledger); the metrics then pass <see cref="Release"/> (minimum cell count).
    /// </summary>
    /// <param name="task">The evaluation task.</param>
    /// <param name="state">What the site gave this job run so far (the evaluation count).</param>
    /// <returns>A refusal naming the rule, or <see langword="null"/> when the evaluation may run.</returns>
    public Refused? CheckEvaluation(EvaluateTask task, SiteRoundState state)
    {
        PolicyDecision decision = JobDecision();
        if (decision.Accepted)
        {
            decision = _evaluator.EvaluateSchedule(_time.GetUtcNow());
            if (!decision.Accepted)
            {
                _audit.PolicyDecision(task.Round.Value, decision);
            }
        }

        if (!decision.Accepted)
        {
            RuleResult first = decision.FailedRules.First();
            return new Refused(_site, task.Round, first.Rule, first.Reason);
        }

        SitePolicy policy = _evaluator.Policy!; // an accepted decision implies a policy
        int cap = policy.Outputs.MaxEvaluationsPerJob ?? (2 * (_job.Rounds ?? 0)) + 2;
        if (!state.TryCountEvaluation(cap))
        {
            return Refuse(task, EvaluationCapRule, $"The site already released {state.Evaluations} evaluations for this job; its policy allows {cap}.", policy);
        }

        _audit.EvaluationReleased(task.Round, EvaluationCapRule, $"evaluation {state.Evaluations} of at most {cap} for this job", policy);
        return null;
    }

    /// <summary>The rule refusing an evaluation beyond the policy's per-job cap (also recorded, passed, for each released one).</summary>
    public const string EvaluationCapRule = "evaluation-cap";

    /// <summary>A metric as the site may release it: withheld (NaN, left out of the means) when the policy's output rules forbid it.</summary>
    /// <param name="kind">The metric.</param>
    /// <param name="value">Its value at the site.</param>
    /// <param name="records">The number of test records it was computed over.</param>
    /// <returns>The metric to report.</returns>
    public MetricValue Release(MetricKind kind, double value, int records) =>
        _evaluator.SuppressMetric(kind.ReportName(), value, records).Suppressed
            ? new MetricValue(kind, double.NaN)
            : new MetricValue(kind, value);

    private PolicyDecision JobDecision()
    {
        if (_jobDecision is null)
        {
            _jobDecision = _evaluator.Evaluate(_job, _time.GetUtcNow(), _budget?.GetSpent().Epsilon ?? 0);
            _audit.PolicyInForce(_jobDecision);
            _audit.PolicyDecision(null, _jobDecision);
        }

        return _jobDecision;
    }

    private Refused Refuse(EvaluateTask task, string rule, string reason, SitePolicy policy)
    {
        _audit.TaskRefused(task.Round, rule, reason, policy);
        return new Refused(_site, task.Round, rule, reason);
    }
}
