using Consortia.Learning.Training;

namespace Consortia.Federation.Strategies.Robust;

/// <summary>Options of <see cref="RobustAggregationStrategy"/>.</summary>
public sealed record RobustOptions
{
    /// <summary>The rule.</summary>
    /// <value>Default: <see cref="RobustRule.Median"/>.</value>
    public RobustRule Rule { get; init; } = RobustRule.Median;

    /// <summary>Local training at the sites.</summary>
    /// <value>Default: one local epoch of SGD.</value>
    public LocalTrainingOptions Training { get; init; } = new();

    /// <summary>Trimmed mean: the fraction β cut from each end, in [0, 0.5).</summary>
    /// <value>Default: 0.1.</value>
    public double TrimFraction { get; init; } = 0.1;

    /// <summary>Krum: the number f of Byzantine sites tolerated.</summary>
    /// <value>Default: 1.</value>
    public int ByzantineSites { get; init; } = 1;

    /// <summary>Multi-Krum: how many best-scored updates are averaged (m).</summary>
    /// <value>Default: <see langword="null"/> = n − f.</value>
    public int? MultiKrumSelect { get; init; }

    /// <summary>Checks the options and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        Training.Validate();
        if (!(TrimFraction >= 0 && TrimFraction < 0.5))
        {
            throw new ArgumentException($"strategy.trim_fraction: expected a value in [0, 0.5), got {TrimFraction}.");
        }

        if (ByzantineSites < 0)
        {
            throw new ArgumentException($"strategy.byzantine_sites: expected an integer ≥ 0, got {ByzantineSites}.");
        }

        if (MultiKrumSelect is <= 0)
        {
            throw new ArgumentException($"strategy.multi_krum_select: expected a positive integer, got {MultiKrumSelect}.");
        }
    }
}
