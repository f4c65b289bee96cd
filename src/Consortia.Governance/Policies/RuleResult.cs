namespace Consortia.Governance.Policies;

/// <summary>The outcome of one policy rule.</summary>
/// <param name="Rule">The stable rule name (see <see cref="PolicyRules"/>).</param>
/// <param name="Passed">Whether the rule allowed the job or round.</param>
/// <param name="Reason">A sentence explaining the outcome with the values compared.</param>
public sealed record RuleResult(string Rule, bool Passed, string Reason);
