using System.Globalization;
using Consortia.Governance.Policies;
using Consortia.Governance.Roster;

namespace Consortia.Governance.Agreements;

/// <summary>
/// Checks a job against a consortium agreement at one site, clause by clause. A site enforces the agreement and its own
/// policy both (<see cref="PolicyEvaluator"/>): a job runs only when both accept it, so the stricter always wins.
/// </summary>
/// <remarks>
/// Every clause is evaluated and reported in a fixed order, so a refusal names all the clauses it breaks. Time is passed
/// in, never read from a clock. Thread-safe (stateless).
/// </remarks>
public static class AgreementEvaluator
{
    /// <summary>Evaluates <paramref name="job"/> at <paramref name="site"/> under the agreement of <paramref name="status"/>.</summary>
    /// <param name="status">The agreement and its verified signatures.</param>
    /// <param name="site">The site enforcing the agreement.</param>
    /// <param name="job">The job (<c>JobDefinition.Describe()</c>).</param>
    /// <param name="sitePolicy">The site's own policy (its output rules must be at least as strict as the agreement's), or <see langword="null"/>.</param>
    /// <param name="now">The instant the job would start.</param>
    /// <param name="lifetimeEpsilonSpent">The ε already spent at this site.</param>
    /// <returns>The decision; <see cref="PolicyDecision.PolicyVersion"/> and <see cref="PolicyDecision.PolicySha256"/> are the agreement's version and hash.</returns>
    public static PolicyDecision Evaluate(AgreementStatus status, string site, JobDescriptor job, SitePolicy? sitePolicy, DateTimeOffset now, double lifetimeEpsilonSpent)
    {
        ArgumentNullException.ThrowIfNull(status);
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(job);
        ConsortiumAgreement a = status.Agreement;
        AgreementDp? dp = a.Protections.DifferentialPrivacy;
        string? task = AgreementTasks.Of(job.ModelKind);
        List<RuleResult> rules =
        [
            new(AgreementRules.Signatures, status.QuorumSigned, status.DescribeSignatures()),
            ValidityRule(a, now),
            Rule(AgreementRules.Consortium, string.Equals(job.Consortium, a.Name, StringComparison.Ordinal), $"the job runs in consortium '{job.Consortium}'; the agreement is '{a.Name}'s"),
            Rule(AgreementRules.Member, a.FindMember(site) is not null, a.FindMember(site) is { } m ? $"this site is the agreement's member '{m.Organisation}'" : $"this site ('{site}') is not a member of the agreement"),
            ListRule(AgreementRules.Purpose, "purpose", job.Purpose, a.Purpose.Codes),
            ListRule(AgreementRules.Submitter, "owner", job.Owner, a.Training.Submitters),
            ListRule(AgreementRules.Task, "task", task, a.Training.Tasks),
            ListRule(AgreementRules.Model, "model kind", job.ModelKind, a.Training.Models),
            ListRule(AgreementRules.Strategy, "strategy", job.Strategy, a.Training.Strategies),
            DataRule(a, job.Columns),
            Rule(AgreementRules.SecureAggregation, job.SecureAggregation || !a.Protections.SecureAggregation, a.Protections.SecureAggregation
                ? job.SecureAggregation ? "the agreement requires secure aggregation and the job uses it" : "the agreement requires secure aggregation; the job would send updates unmasked"
                : "the agreement does not require secure aggregation"),
            Rule(AgreementRules.MinSites, job.MinSitesPerAggregate >= a.Protections.MinSitesPerAggregate,
                $"the job promises {(job.MinSitesPerAggregate is { } n ? F(n) : "no minimum of")} sites per aggregate; the agreement requires at least {F(a.Protections.MinSitesPerAggregate)}"),
            DpRule(dp, job.Dp),
            EpsilonRule(AgreementRules.EpsilonPerJob, dp?.EpsilonPerJob, job.Dp?.Epsilon, "the job's ε", "per job"),
            EpsilonRule(AgreementRules.EpsilonLifetime, dp?.EpsilonPerMemberLifetime, job.Dp is null ? null : lifetimeEpsilonSpent + job.Dp.Epsilon, $"{F(lifetimeEpsilonSpent)} already spent here plus the job's ε", "per member's lifetime"),
            OutputsRule(a, job, sitePolicy),
        ];
        bool accepted = rules.All(r => r.Passed);
        return new PolicyDecision(accepted, rules, a.Version, a.Sha256);
    }

    /// <summary>Evaluates <paramref name="job"/> under the agreement a site policy names, reading its files now.</summary>
    /// <param name="reference">The policy's <c>agreement:</c>.</param>
    /// <param name="site">The site enforcing the agreement.</param>
    /// <param name="job">The job.</param>
    /// <param name="sitePolicy">The site's own policy, or <see langword="null"/>.</param>
    /// <param name="now">The instant the job would start.</param>
    /// <param name="lifetimeEpsilonSpent">The ε already spent at this site.</param>
    /// <param name="roster">The consortium roster the site accepted (signatures count only by the keys it lists), or <see langword="null"/>.</param>
    /// <returns>The decision (refused by <see cref="AgreementRules.File"/> when the files cannot be used) and the agreement read, if any.</returns>
    public static (PolicyDecision Decision, ConsortiumAgreement? Agreement) Evaluate(AgreementReference reference, string site, JobDescriptor job, SitePolicy? sitePolicy, DateTimeOffset now, double lifetimeEpsilonSpent, ConsortiumRoster? roster = null)
    {
        ArgumentNullException.ThrowIfNull(reference);
        (AgreementStatus? status, string? problem) = reference.Open(roster);
        return status is null
            ? (new PolicyDecision(false, [new RuleResult(AgreementRules.File, false, $"the site's agreement cannot be used: {problem}")], null, null), null)
            : (Evaluate(status, site, job, sitePolicy, now, lifetimeEpsilonSpent), status.Agreement);
    }

    /// <summary>The validity clause alone (checked again on every task: an agreement can expire during a job).</summary>
    /// <param name="agreement">The agreement.</param>
    /// <param name="now">The instant.</param>
    /// <returns>The clause's outcome.</returns>
    public static RuleResult ValidityRule(ConsortiumAgreement agreement, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        string today = now.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        string range = string.Create(CultureInfo.InvariantCulture, $"{agreement.Validity.From:yyyy-MM-dd} to {agreement.Validity.Until:yyyy-MM-dd}");
        return agreement.Validity.Contains(now)
            ? new(AgreementRules.Validity, true, $"{today} is within the agreement's validity ({range})")
            : new(AgreementRules.Validity, false, $"{today} is outside the agreement's validity ({range})");
    }

    private static RuleResult Rule(string rule, bool passed, string reason) => new(rule, passed, reason);

    private static RuleResult ListRule(string rule, string what, string? value, IReadOnlyList<string> allowed)
    {
        if (string.IsNullOrEmpty(value))
        {
            return new(rule, false, $"the job declares no {what}; the agreement allows: {string.Join(", ", allowed)}");
        }

        bool passed = allowed.Contains(value, StringComparer.OrdinalIgnoreCase);
        return new(rule, passed, passed
            ? $"{what} '{value}' is allowed by the agreement"
            : $"{what} '{value}' is outside the agreement, which allows: {string.Join(", ", allowed)}");
    }

    private static RuleResult DataRule(ConsortiumAgreement agreement, IReadOnlyList<string> columns)
    {
        if (columns.Count == 0)
        {
            return new(AgreementRules.Data, false, "the job declares no data columns; the agreement allows only the columns of its data categories");
        }

        HashSet<string> allowed = [.. agreement.Columns];
        List<string> outside = [.. columns.Where(c => !allowed.Contains(c))];
        return outside.Count == 0
            ? new(AgreementRules.Data, true, $"the job reads {F(columns.Count)} columns, all within the agreed data categories ({string.Join(", ", agreement.DataCategories.Select(c => c.Name))})")
            : new(AgreementRules.Data, false, $"the job reads columns outside the agreed data categories: {string.Join(", ", outside)}");
    }

    private static RuleResult DpRule(AgreementDp? dp, DpDescriptor? job)
    {
        if (dp is not { Required: true })
        {
            return job is not null && dp is not null && !(job.Delta > 0 && job.Delta <= dp.Delta)
                ? new(AgreementRules.Dp, false, $"the job's δ is {F(job.Delta)}; the agreement allows 0 < δ ≤ {F(dp.Delta)}")
                : new(AgreementRules.Dp, true, "the agreement does not require differential privacy");
        }

        if (job is null)
        {
            return new(AgreementRules.Dp, false, $"the agreement requires {(dp.Mode is { } m ? DpModeNames.ToName(m) : "sample-level or client-level")} differential privacy; the job uses none");
        }

        if (dp.Mode is { } mode && mode != job.Mode)
        {
            return new(AgreementRules.Dp, false, $"the agreement requires {DpModeNames.ToName(mode)} differential privacy; the job uses {DpModeNames.ToName(job.Mode)}");
        }

        return job.Delta > 0 && job.Delta <= dp.Delta
            ? new(AgreementRules.Dp, true, $"the job uses {DpModeNames.ToName(job.Mode)} differential privacy with δ {F(job.Delta)}, as the agreement requires")
            : new(AgreementRules.Dp, false, $"the job's δ is {F(job.Delta)}; the agreement allows 0 < δ ≤ {F(dp.Delta)}");
    }

    private static RuleResult EpsilonRule(string rule, double? cap, double? epsilon, string subject, string per)
    {
        if (epsilon is not { } e)
        {
            return new(rule, true, "not applicable: the job uses no differential privacy");
        }

        if (cap is not { } c)
        {
            return new(rule, true, $"{subject} is {F(e)}; the agreement sets no ε cap");
        }

        return double.IsFinite(e) && e <= c
            ? new(rule, true, $"{subject} is {F(e)}, within the agreement's cap of {F(c)} {per}")
            : new(rule, false, $"{subject} is {F(e)}, above the agreement's cap of {F(c)} {per}");
    }

    private static RuleResult OutputsRule(ConsortiumAgreement agreement, JobDescriptor job, SitePolicy? policy)
    {
        if (job.Outputs.FirstOrDefault(o => o.StartsWith(KnownNames.PerPatientPrefix, StringComparison.OrdinalIgnoreCase)) is { } perPatient)
        {
            return new(AgreementRules.Outputs, false, $"'{perPatient}': the agreement releases no per-patient output");
        }

        // The site's own policy withholds each metric (it is what the site applies on release); it must be at least as strict.
        int minimum = agreement.Outputs.MinCellCount;
        if (policy?.Outputs is { AggregateMetrics: true, MinCellCount: { } siteMinimum } && siteMinimum < minimum)
        {
            return new(AgreementRules.Outputs, false, $"this site's policy releases metrics over {F(siteMinimum)} records or more; the agreement requires at least {F(minimum)} (raise outputs.min_cell_count in the site policy)");
        }

        return new(AgreementRules.Outputs, true, $"no per-patient output; every released number is computed over at least {F(minimum)} records");
    }

    private static string F(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
