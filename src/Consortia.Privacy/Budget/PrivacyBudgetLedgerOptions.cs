using Consortia.Privacy.Accounting;

namespace Consortia.Privacy.Budget;

/// <summary>How to create a site's privacy budget ledger file.</summary>
public sealed record PrivacyBudgetLedgerOptions
{
    /// <summary>The SQLite file of the ledger (one per site).</summary>
    /// <value>Required.</value>
    public required string Path { get; init; }

    /// <summary>The lifetime budget, stored in the file and immutable afterwards.</summary>
    /// <value>Required.</value>
    public required LifetimeBudget Budget { get; init; }

    /// <summary>The Rényi orders on which charges' RDP curves are stored and composed.</summary>
    /// <value><see cref="RdpOrderGrid.OpacusExtended"/> (the reference's recommendation for reporting).</value>
    public RdpOrderGrid Grid { get; init; } = RdpOrderGrid.OpacusExtended;

    /// <summary>The RDP to (ε, δ) conversion.</summary>
    /// <value><see cref="RdpConversion.Balle2020"/>.</value>
    public RdpConversion Conversion { get; init; } = RdpConversion.Balle2020;

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentException">A field is invalid; the message names it.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Path))
        {
            throw new ArgumentException($"{nameof(Path)} must name the ledger file.", nameof(Path));
        }

        Budget.Validate();
        if (Grid is null)
        {
            throw new ArgumentException($"{nameof(Grid)} must be set.", nameof(Grid));
        }

        if (!Enum.IsDefined(Conversion))
        {
            throw new ArgumentException($"{nameof(Conversion)} {(int)Conversion} is not a known conversion.", nameof(Conversion));
        }
    }
}
