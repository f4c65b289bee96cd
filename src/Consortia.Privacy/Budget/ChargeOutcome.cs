namespace Consortia.Privacy.Budget;

/// <summary>The outcome of <see cref="PrivacyBudgetLedger.TryCharge"/>: accepted and recorded, or refused and not recorded.</summary>
public abstract record ChargeOutcome
{
    private ChargeOutcome()
    {
    }

    /// <summary>The charge fits the budget and was recorded.</summary>
    /// <param name="Record">The stored row.</param>
    /// <param name="Spent">The site's lifetime spending after the charge.</param>
    public sealed record Accepted(ChargeRecord Record, BudgetSpent Spent) : ChargeOutcome;

    /// <summary>The charge would exceed the lifetime budget; nothing was recorded.</summary>
    /// <param name="Message">A sentence stating spent, requested, resulting and limit, for the audit ledger and the operator.</param>
    /// <param name="SpentEpsilon">The site's lifetime ε before the charge.</param>
    /// <param name="RequestedEpsilon">ε of the charge alone at the site's δ.</param>
    /// <param name="ResultingEpsilon">The composed lifetime ε had the charge been accepted (+∞ when δ is exhausted).</param>
    /// <param name="EpsilonLimit">The lifetime ε limit.</param>
    /// <param name="Delta">The site's δ.</param>
    public sealed record Refused(
        string Message,
        double SpentEpsilon,
        double RequestedEpsilon,
        double ResultingEpsilon,
        double EpsilonLimit,
        double Delta) : ChargeOutcome;
}
