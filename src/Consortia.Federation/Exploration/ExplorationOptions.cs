using System.Globalization;

namespace Consortia.Federation.Exploration;

/// <summary>How <c>consortia explore</c> bins features and when it warns.</summary>
public sealed record ExplorationOptions
{
    /// <summary>The number of histogram bins on each feature's shared grid.</summary>
    /// <value>20 by default.</value>
    public int Bins { get; init; } = 20;

    /// <summary>A site's distribution differs sharply from the rest's when the standardised mean difference reaches this.</summary>
    /// <value>1.0 by default (a very large effect).</value>
    public double ShiftMeanDifference { get; init; } = 1.0;

    /// <summary>A site's distribution differs sharply from the rest's when the largest gap between their cumulative histograms (a KS distance) reaches this.</summary>
    /// <value>0.5 by default.</value>
    public double ShiftDistance { get; init; } = 0.5;

    /// <summary>A site's range barely overlaps the rest's when the overlap of their normalised histograms is below this.</summary>
    /// <value>0.2 by default.</value>
    public double MinimumOverlap { get; init; } = 0.2;

    /// <summary>The share of exact zeros at a site from which a spike at 0 is considered.</summary>
    /// <value>0.02 by default.</value>
    public double ZeroSpikeShare { get; init; } = 0.02;

    /// <summary>A spike at 0 looks like coded missing values when 0 lies at least this many standard deviations below the site's other values.</summary>
    /// <value>3 by default.</value>
    public double ZeroDistance { get; init; } = 3;

    /// <summary>A label is nearly constant at a site when its rarer class is below this share of the site's labelled rows.</summary>
    /// <value>0.05 by default.</value>
    public double MinorityShare { get; init; } = 0.05;

    /// <summary>Checks the options.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        Check(Bins is >= 2 and <= 1000, nameof(Bins), "an integer in [2, 1000]", Bins);
        Check(ShiftMeanDifference > 0 && double.IsFinite(ShiftMeanDifference), nameof(ShiftMeanDifference), "a positive number", ShiftMeanDifference);
        Check(ShiftDistance is > 0 and <= 1, nameof(ShiftDistance), "a number in (0, 1]", ShiftDistance);
        Check(MinimumOverlap is > 0 and <= 1, nameof(MinimumOverlap), "a number in (0, 1]", MinimumOverlap);
        Check(ZeroSpikeShare is > 0 and <= 1, nameof(ZeroSpikeShare), "a number in (0, 1]", ZeroSpikeShare);
        Check(ZeroDistance > 0 && double.IsFinite(ZeroDistance), nameof(ZeroDistance), "a positive number", ZeroDistance);
        Check(MinorityShare is > 0 and < 0.5, nameof(MinorityShare), "a number in (0, 0.5)", MinorityShare);
    }

    private static void Check(bool ok, string name, string expected, double value)
    {
        if (!ok)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"{name}: expected {expected}, got {value}."), name);
        }
    }
}
