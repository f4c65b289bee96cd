namespace Consortia.Privacy.Budget;

/// <summary>Privacy spent so far (by a whole site or by one job), measured at the site's δ.</summary>
/// <param name="Epsilon">The composed ε: the RDP part converted once, plus the (ε, δ) charges' ε; 0 with no charge.</param>
/// <param name="Delta">The site's δ (the RDP part is converted at δ minus the (ε, δ) charges' δ).</param>
/// <param name="Order">The optimal Rényi order of the RDP part; null when there is no RDP charge.</param>
/// <param name="EpsilonLimit">The site's lifetime ε limit.</param>
/// <param name="ChargeCount">The number of charges composed.</param>
public sealed record BudgetSpent(double Epsilon, double Delta, double? Order, double EpsilonLimit, int ChargeCount)
{
    /// <summary>The ε still available under the lifetime limit (never negative).</summary>
    public double RemainingEpsilon => Math.Max(0.0, EpsilonLimit - Epsilon);
}
