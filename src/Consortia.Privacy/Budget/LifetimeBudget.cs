namespace Consortia.Privacy.Budget;

/// <summary>A site's lifetime privacy budget: the (ε, δ)-DP guarantee all charges together must stay within.</summary>
/// <param name="Epsilon">The ε limit; finite and positive.</param>
/// <param name="Delta">The site's δ, at which every ε is measured; in (0, 1).</param>
public readonly record struct LifetimeBudget(double Epsilon, double Delta)
{
    /// <summary>Checks both fields.</summary>
    /// <exception cref="ArgumentException">A field is invalid; the message names it.</exception>
    public void Validate()
    {
        if (!(Epsilon > 0.0) || !double.IsFinite(Epsilon))
        {
            throw new ArgumentException($"{nameof(LifetimeBudget)}.{nameof(Epsilon)} must be finite and positive (got {Epsilon}).", nameof(Epsilon));
        }

        if (!(Delta > 0.0 && Delta < 1.0))
        {
            throw new ArgumentException($"{nameof(LifetimeBudget)}.{nameof(Delta)} must be in (0, 1) (got {Delta}).", nameof(Delta));
        }
    }
}
