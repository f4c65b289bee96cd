namespace Consortia.Governance.Policies;

/// <summary>The decision of a site's policy on a job or a round, with every rule's outcome.</summary>
/// <param name="Accepted">Whether every rule passed.</param>
/// <param name="Rules">Every rule evaluated, in a fixed order.</param>
/// <param name="PolicyVersion">The version of the policy applied, or <see langword="null"/> when no policy is installed.</param>
/// <param name="PolicySha256">The SHA-256 of the policy file, or <see langword="null"/>.</param>
public sealed record PolicyDecision(bool Accepted, IReadOnlyList<RuleResult> Rules, int? PolicyVersion, string? PolicySha256)
{
    /// <summary>The rules that failed, in order.</summary>
    public IEnumerable<RuleResult> FailedRules => Rules.Where(r => !r.Passed);

    /// <summary>Builds a decision from rule results: accepted only when there is at least one rule and all passed.</summary>
    /// <param name="rules">The rule outcomes.</param>
    /// <param name="policy">The policy applied, or <see langword="null"/>.</param>
    /// <returns>The decision.</returns>
    public static PolicyDecision From(IReadOnlyList<RuleResult> rules, SitePolicy? policy)
    {
        ArgumentNullException.ThrowIfNull(rules);
        bool accepted = rules.Count > 0 && rules.All(r => r.Passed);
        return new PolicyDecision(accepted, rules, policy?.Version, policy?.Sha256);
    }
}
