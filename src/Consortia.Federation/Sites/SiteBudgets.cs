using Consortia.Governance.Policies;
using Consortia.Privacy.Budget;

namespace Consortia.Federation.Sites;

/// <summary>Where a site's lifetime privacy budget comes from: the site's own configuration or policy, never a job.</summary>
public static class SiteBudgets
{
    /// <summary>The budget a site's policy sets: its differential-privacy section's lifetime ε and δ.</summary>
    /// <param name="policy">The site's policy, or <see langword="null"/>.</param>
    /// <returns>The lifetime budget, or <see langword="null"/> when the policy sets none (the site then refuses DP work).</returns>
    public static LifetimeBudget? FromPolicy(PolicyEvaluator? policy) =>
        policy?.Policy?.Protections.DifferentialPrivacy is { } dp ? new LifetimeBudget(dp.LifetimeEpsilonBudget, dp.Delta) : null;

    /// <summary>Opens (or creates) the site's budget ledger at <paramref name="path"/>, reporting a problem as text instead of throwing.</summary>
    /// <param name="path">The ledger file.</param>
    /// <param name="budget">The site's lifetime budget, or <see langword="null"/> when it sets none.</param>
    /// <param name="time">The clock of charge timestamps.</param>
    /// <returns>The ledger (or <see langword="null"/>), and why a configured budget cannot be used (the reason DP rounds are refused with).</returns>
    public static (PrivacyBudgetLedger? Ledger, string? Problem) Open(string path, LifetimeBudget? budget, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (budget is not { } lifetime)
        {
            return (null, null);
        }

        return PrivacyBudgetLedger.TryOpenOrCreate(new PrivacyBudgetLedgerOptions { Path = path, Budget = lifetime }, time, out PrivacyBudgetLedger? ledger, out string? problem)
            ? (ledger, null)
            : (null, problem);
    }
}
