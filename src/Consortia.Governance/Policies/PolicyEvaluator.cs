using System.Globalization;

namespace Consortia.Governance.Policies;

/// <summary>Checks jobs and rounds against a site policy; without a policy it refuses everything.</summary>
/// <remarks>
/// Every rule is evaluated and reported, in a fixed order, so a refusal explains all its reasons at once.
/// Time is never read from a clock: the caller passes the instant to evaluate. Thread-safe (immutable).
/// </remarks>
public sealed class PolicyEvaluator
{
    private readonly string _missingPolicyReason;

    /// <summary>Creates an evaluator for <paramref name="policy"/>.</summary>
    /// <param name="policy">The site policy, or <see langword="null"/> to refuse everything.</param>
    /// <exception cref="ArgumentException">The policy is invalid.</exception>
    public PolicyEvaluator(SitePolicy? policy)
        : this(policy, "no site policy is installed; this site refuses every job")
    {
    }

    private PolicyEvaluator(SitePolicy? policy, string missingPolicyReason)
    {
        policy?.Validate();
        Policy = policy;
        _missingPolicyReason = missingPolicyReason;
    }

    /// <summary>The policy applied, or <see langword="null"/> when everything is refused.</summary>
    public SitePolicy? Policy { get; }

    /// <summary>Creates an evaluator from a policy file; a missing file gives an evaluator that refuses everything.</summary>
    /// <param name="path">The policy file.</param>
    /// <returns>The evaluator.</returns>
    /// <exception cref="PolicyFileException">The file exists but is unreadable or invalid (bad configuration is not silently ignored).</exception>
    public static PolicyEvaluator FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return File.Exists(path)
            ? new PolicyEvaluator(SitePolicyLoader.Load(path))
            : new PolicyEvaluator(null, $"no site policy file at '{path}'; this site refuses every job");
    }

    /// <summary>Evaluates a job at <paramref name="now"/>, assuming no ε has been spent at the site before.</summary>
    /// <param name="job">The job.</param>
    /// <param name="now">The instant the job would start (for the schedule).</param>
    /// <returns>The decision with every rule's outcome.</returns>
    public PolicyDecision Evaluate(JobDescriptor job, DateTimeOffset now) => Evaluate(job, now, 0);

    /// <summary>Evaluates a job at <paramref name="now"/>.</summary>
    /// <param name="job">The job.</param>
    /// <param name="now">The instant the job would start (for the schedule).</param>
    /// <param name="lifetimeEpsilonSpent">The ε already spent at this site by earlier jobs (see <see cref="Audit.LedgerPrivacy.LifetimeEpsilon"/>).</param>
    /// <returns>The decision with every rule's outcome.</returns>
    public PolicyDecision Evaluate(JobDescriptor job, DateTimeOffset now, double lifetimeEpsilonSpent)
    {
        ArgumentNullException.ThrowIfNull(job);
        if (!(lifetimeEpsilonSpent >= 0) || !double.IsFinite(lifetimeEpsilonSpent))
        {
            throw new ArgumentOutOfRangeException(nameof(lifetimeEpsilonSpent), lifetimeEpsilonSpent, "Must be a non-negative finite number.");
        }

        if (Policy is not { } policy)
        {
            return RefuseAll();
        }

        DifferentialPrivacyPolicy? dp = policy.Protections.DifferentialPrivacy;
        List<RuleResult> rules =
        [
            ListRule(PolicyRules.Consortium, "consortium", job.Consortium, policy.Consortia),
            ListRule(PolicyRules.Owner, "owner", job.Owner, policy.Owners),
            ListRule(PolicyRules.Model, "model kind", job.ModelKind, policy.ModelKinds),
            ListRule(PolicyRules.Strategy, "strategy", job.Strategy, policy.Strategies),
            SecureAggregationRule(policy, job),
            MinSitesRule(policy, job.MinSitesPerAggregate, "the job promises"),
            DpRequiredRule(dp, job.Dp),
            EpsilonCeilingRule(dp, job.Dp?.Epsilon, "the job's ε"),
            DeltaRule(dp, job.Dp),
            TrustedCoordinatorRule(dp, job.Dp),
            BudgetRule(dp, job.Dp is null ? null : lifetimeEpsilonSpent + job.Dp.Epsilon, lifetimeEpsilonSpent),
            OutputsRule(policy.Outputs, job),
            ColumnsRule(policy, job.Columns),
            ScheduleRule(policy, now),
        ];
        return PolicyDecision.From(rules, policy);
    }

    /// <summary>Evaluates one round, without a schedule check: the number of sites in the aggregate and, when given, the ε after the round.</summary>
    /// <param name="round">The round.</param>
    /// <returns>The decision.</returns>
    public PolicyDecision EvaluateRound(RoundDescriptor round) => EvaluateRound(round, null);

    /// <summary>Evaluates one round at <paramref name="now"/>: as <see cref="EvaluateRound(RoundDescriptor)"/> plus the schedule.</summary>
    /// <param name="round">The round.</param>
    /// <param name="now">The instant the round would start.</param>
    /// <returns>The decision.</returns>
    public PolicyDecision EvaluateRound(RoundDescriptor round, DateTimeOffset now) => EvaluateRound(round, (DateTimeOffset?)now);

    /// <summary>Evaluates the schedule alone at <paramref name="now"/> (a site evaluating a model for a job it accepted).</summary>
    /// <param name="now">The instant of the evaluation.</param>
    /// <returns>The decision (refused without a policy).</returns>
    public PolicyDecision EvaluateSchedule(DateTimeOffset now) =>
        Policy is { } policy ? PolicyDecision.From([ScheduleRule(policy, now)], policy) : RefuseAll();

    /// <summary>Applies the policy's output rules to an aggregate metric: withheld when aggregate metrics are not allowed or the cell is too small.</summary>
    /// <param name="name">The metric name.</param>
    /// <param name="value">The computed value.</param>
    /// <param name="cellCount">The number of records it was computed over.</param>
    /// <returns>The metric, possibly suppressed.</returns>
    public AggregateMetric SuppressMetric(string name, double value, long cellCount)
    {
        if (Policy is not { } policy)
        {
            return MetricSuppression.Withhold(name, cellCount, _missingPolicyReason);
        }

        if (!policy.Outputs.AggregateMetrics || policy.Outputs.MinCellCount is not { } minimum)
        {
            return MetricSuppression.Withhold(name, cellCount, "the site policy does not allow aggregate metrics to leave");
        }

        return MetricSuppression.Apply(name, value, cellCount, minimum);
    }

    private PolicyDecision EvaluateRound(RoundDescriptor round, DateTimeOffset? now)
    {
        ArgumentNullException.ThrowIfNull(round);
        if (Policy is not { } policy)
        {
            return RefuseAll();
        }

        DifferentialPrivacyPolicy? dp = policy.Protections.DifferentialPrivacy;
        List<RuleResult> rules = [MinSitesRule(policy, round.ParticipatingSites, $"round {F(round.Round)} aggregates")];
        if (round.JobEpsilonAfterRound is { } jobEpsilon)
        {
            rules.Add(EpsilonCeilingRule(dp, jobEpsilon, "the job's ε after this round"));
        }

        if (round.LifetimeEpsilonAfterRound is { } lifetime)
        {
            rules.Add(BudgetRule(dp, lifetime, null));
        }

        if (now is { } instant)
        {
            rules.Add(ScheduleRule(policy, instant));
        }

        return PolicyDecision.From(rules, policy);
    }

    private PolicyDecision RefuseAll() =>
        new(false, [new RuleResult(PolicyRules.Policy, false, _missingPolicyReason)], null, null);

    private static RuleResult ListRule(string rule, string what, string value, IReadOnlyList<string> allowed)
    {
        if (value.Length == 0)
        {
            return new RuleResult(rule, false, $"the job declares no {what}; this site allows: {string.Join(", ", allowed)}");
        }

        bool passed = KnownNames.Contains(allowed, value);
        return new RuleResult(rule, passed, passed
            ? $"{what} '{value}' is allowed"
            : $"{what} '{value}' is not allowed; this site allows: {string.Join(", ", allowed)}");
    }

    private static RuleResult SecureAggregationRule(SitePolicy policy, JobDescriptor job) =>
        (policy.Protections.SecureAggregationRequired, job.SecureAggregation) switch
        {
            (true, true) => new(PolicyRules.SecureAggregation, true, "secure aggregation is required and the job uses it"),
            (true, false) => new(PolicyRules.SecureAggregation, false, "this site requires secure aggregation; the job would send its update unmasked"),
            (false, true) => new(PolicyRules.SecureAggregation, true, "secure aggregation is not required; the job uses it"),
            (false, false) => new(PolicyRules.SecureAggregation, true, "secure aggregation is not required by this site"),
        };

    private static RuleResult MinSitesRule(SitePolicy policy, int? sites, string subject)
    {
        int minimum = policy.Protections.MinSitesPerAggregate;
        if (sites is not { } count)
        {
            return new(PolicyRules.MinSites, false, $"the job declares no minimum number of sites per aggregate; this site requires at least {F(minimum)}");
        }

        return count >= minimum
            ? new(PolicyRules.MinSites, true, $"{subject} {F(count)} sites per aggregate; this site requires at least {F(minimum)}")
            : new(PolicyRules.MinSites, false, $"{subject} only {F(count)} sites per aggregate; this site requires at least {F(minimum)}");
    }

    private static RuleResult DpRequiredRule(DifferentialPrivacyPolicy? dp, DpDescriptor? job)
    {
        if (dp is not { Required: true })
        {
            return new(PolicyRules.DpRequired, true, job is null
                ? "differential privacy is not required by this site"
                : $"differential privacy is not required; the job uses {DpModeNames.ToName(job.Mode)} DP");
        }

        if (job is null)
        {
            return new(PolicyRules.DpRequired, false, $"this site requires {ModeText(dp.Mode)} differential privacy; the job uses none");
        }

        if (dp.Mode is { } mode && mode != job.Mode)
        {
            return new(PolicyRules.DpRequired, false, $"this site requires {DpModeNames.ToName(mode)} differential privacy; the job uses {DpModeNames.ToName(job.Mode)}");
        }

        return new(PolicyRules.DpRequired, true, $"the job uses {DpModeNames.ToName(job.Mode)} differential privacy as required");
    }

    private static RuleResult TrustedCoordinatorRule(DifferentialPrivacyPolicy? dp, DpDescriptor? job) =>
        (job is { Mode: DpMode.ClientLevel, CentralNoise: true }, dp?.AllowTrustedCoordinator ?? true) switch
        {
            (false, _) => new(PolicyRules.DpTrustedCoordinator, true, "the coordinator adds no DP noise of its own"),
            (true, true) => new(PolicyRules.DpTrustedCoordinator, true, "this site allows the coordinator to add the client-level noise"),
            (true, false) => new(PolicyRules.DpTrustedCoordinator, false, "this site forbids a trusted coordinator: client-level noise must be added by the sites under secure aggregation (distributed DP), not by the coordinator after it sees the noiseless sum"),
        };

    private static RuleResult EpsilonCeilingRule(DifferentialPrivacyPolicy? dp, double? epsilon, string subject)
    {
        if (epsilon is not { } e)
        {
            return new(PolicyRules.DpEpsilonCeiling, true, "not applicable: the job uses no differential privacy");
        }

        if (dp is null)
        {
            return new(PolicyRules.DpEpsilonCeiling, true, $"{subject} is {F(e)}; this site sets no ε ceiling");
        }

        return IsFiniteNonNegative(e) && e <= dp.EpsilonCeilingPerJob
            ? new(PolicyRules.DpEpsilonCeiling, true, $"{subject} is {F(e)}, within this site's ceiling of {F(dp.EpsilonCeilingPerJob)} per job")
            : new(PolicyRules.DpEpsilonCeiling, false, $"{subject} is {F(e)}, above this site's ceiling of {F(dp.EpsilonCeilingPerJob)} per job");
    }

    private static RuleResult DeltaRule(DifferentialPrivacyPolicy? dp, DpDescriptor? job)
    {
        if (job is null)
        {
            return new(PolicyRules.DpDelta, true, "not applicable: the job uses no differential privacy");
        }

        if (dp is null)
        {
            return new(PolicyRules.DpDelta, true, $"the job's δ is {F(job.Delta)}; this site sets no δ limit");
        }

        return job.Delta > 0 && job.Delta <= dp.Delta
            ? new(PolicyRules.DpDelta, true, $"the job's δ is {F(job.Delta)}, within this site's limit of {F(dp.Delta)}")
            : new(PolicyRules.DpDelta, false, $"the job's δ is {F(job.Delta)}; this site requires 0 < δ ≤ {F(dp.Delta)}");
    }

    private static RuleResult BudgetRule(DifferentialPrivacyPolicy? dp, double? lifetimeAfter, double? spentBefore)
    {
        if (lifetimeAfter is not { } total)
        {
            return new(PolicyRules.DpBudget, true, "not applicable: the job uses no differential privacy");
        }

        if (dp is null)
        {
            return new(PolicyRules.DpBudget, true, "this site sets no lifetime ε budget");
        }

        string spent = spentBefore is { } s ? $"{F(s)} already spent plus this job gives {F(total)}" : $"the site's lifetime ε would be {F(total)}";
        return IsFiniteNonNegative(total) && total <= dp.LifetimeEpsilonBudget
            ? new(PolicyRules.DpBudget, true, $"{spent}, within the lifetime budget of {F(dp.LifetimeEpsilonBudget)}")
            : new(PolicyRules.DpBudget, false, $"{spent}, exceeding the lifetime budget of {F(dp.LifetimeEpsilonBudget)}");
    }

    private static RuleResult OutputsRule(OutputPolicy outputs, JobDescriptor job)
    {
        string implied = job.SecureAggregation ? KnownNames.MaskedUpdates : KnownNames.PlainUpdates;
        List<string> effective = [implied];
        foreach (string output in job.Outputs)
        {
            if (!effective.Contains(output, StringComparer.OrdinalIgnoreCase))
            {
                effective.Add(output);
            }
        }

        List<string> problems = [];
        foreach (string output in effective)
        {
            string? problem = output.ToLowerInvariant() switch
            {
                var o when o.StartsWith(KnownNames.PerPatientPrefix, StringComparison.Ordinal) => $"'{output}': per-patient outputs are never allowed",
                KnownNames.MaskedUpdates => outputs.MaskedUpdates ? null : $"'{output}': this site does not allow masked updates to leave",
                KnownNames.PlainUpdates => outputs.PlainUpdates ? null : $"'{output}': this site does not allow unmasked updates to leave",
                KnownNames.AggregateMetrics => outputs.AggregateMetrics ? null : $"'{output}': this site does not allow aggregate metrics to leave",
                _ => $"'{output}': unknown output kind (known: {string.Join(", ", KnownNames.Outputs)})",
            };
            if (problem is not null)
            {
                problems.Add(problem);
            }
        }

        return problems.Count == 0
            ? new(PolicyRules.Outputs, true, $"all outputs are allowed: {string.Join(", ", effective)}")
            : new(PolicyRules.Outputs, false, string.Join("; ", problems));
    }

    private static RuleResult ColumnsRule(SitePolicy policy, IReadOnlyList<string> columns)
    {
        if (columns.Count == 0)
        {
            return new(PolicyRules.Columns, false, "the job does not declare the data columns it reads; this site only allows an explicit list");
        }

        // A set, not a list scan: a model of 10,000 features declares 10,000 columns, and the scan was quadratic.
        HashSet<string> allowed = new(policy.Columns, StringComparer.Ordinal);
        List<string> refused = columns.Where(c => !allowed.Contains(c)).Distinct(StringComparer.Ordinal).ToList();
        return refused.Count == 0
            ? new(PolicyRules.Columns, true, $"all {F(columns.Count)} columns the job reads are in the allow-list")
            : new(PolicyRules.Columns, false, $"the job reads columns outside this site's allow-list: {string.Join(", ", refused)}");
    }

    private static RuleResult ScheduleRule(SitePolicy policy, DateTimeOffset now)
    {
        string time = now.UtcDateTime.ToString("ddd yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        if (policy.Schedule is not { } windows)
        {
            return new(PolicyRules.Schedule, true, $"{time}: this site sets no schedule restriction");
        }

        foreach (ScheduleWindow window in windows)
        {
            if (window.Contains(now))
            {
                return new(PolicyRules.Schedule, true, $"{time} is inside the window {window.Describe()}");
            }
        }

        return new(PolicyRules.Schedule, false, $"{time} is outside every schedule window ({string.Join("; ", windows.Select(w => w.Describe()))})");
    }

    private static string ModeText(DpMode? mode) => mode is { } m ? DpModeNames.ToName(m) : "some";

    private static bool IsFiniteNonNegative(double value) => value >= 0 && double.IsFinite(value);

    private static string F(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(int value) => value.ToString(CultureInfo.InvariantCulture);
}
