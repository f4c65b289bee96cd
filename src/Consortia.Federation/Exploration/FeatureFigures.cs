namespace Consortia.Federation.Exploration;

/// <summary>One quantile of a feature, read from its histogram (accurate to the grid's bin width).</summary>
/// <param name="Probability">The probability, for example 0.5 for the median.</param>
/// <param name="Value">The value, interpolated linearly inside its bin.</param>
public sealed record Quantile(double Probability, double Value);

/// <summary>The released figures of one feature, at one site or combined.</summary>
/// <param name="Count">Rows with a value; 0 when suppressed (fewer than the site's minimum cell count).</param>
/// <param name="Missing">Rows without a value (suppressed to 0 below the minimum cell count).</param>
/// <param name="Zeros">Rows whose value is exactly 0 (suppressed to 0 below the minimum cell count).</param>
/// <param name="Mean">The mean on the original scale; <see langword="null"/> without released values.</param>
/// <param name="StandardDeviation">The sample standard deviation; <see langword="null"/> with fewer than two released values.</param>
/// <param name="Histogram">Counts per bin of the feature's grid; a bin below the minimum cell count is released as 0.</param>
/// <param name="Quantiles">The 5th, 25th, 50th, 75th and 95th percentiles from the histogram.</param>
/// <param name="SuppressedCells">How many of the counts above were withheld at the sites (released as 0).</param>
/// <remarks>Record equality compares the lists by reference.</remarks>
public sealed record FeatureFigures(
    long Count, long Missing, long Zeros, double? Mean, double? StandardDeviation, IReadOnlyList<long> Histogram, IReadOnlyList<Quantile> Quantiles, long SuppressedCells);

/// <summary>The label balance at one site or combined (counts below the minimum cell count released as 0).</summary>
/// <param name="Positive">Rows labelled 1 (the event, for survival data).</param>
/// <param name="Negative">Rows labelled 0.</param>
/// <param name="Missing">Rows without a label.</param>
public sealed record LabelFigures(long Positive, long Negative, long Missing)
{
    /// <summary>The share of the rarer class among labelled rows; <see langword="null"/> without labelled rows.</summary>
    public double? MinorityShare => Positive + Negative == 0 ? null : Math.Min(Positive, Negative) / (double)(Positive + Negative);
}
