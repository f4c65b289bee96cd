using System.Globalization;

namespace Consortia.Governance.Policies;

/// <summary>Withholds aggregate metrics computed over too few records (small-cell suppression).</summary>
/// <remarks>
/// A count, rate or mean over a handful of patients can identify them; statistical disclosure control withholds
/// such cells. The suppressed value is replaced by <see langword="null"/>, never by a sentinel.
/// </remarks>
public static class MetricSuppression
{
    /// <summary>Returns the metric, suppressed when <paramref name="cellCount"/> is below <paramref name="minimumCellCount"/>.</summary>
    /// <param name="name">The metric name.</param>
    /// <param name="value">The computed value.</param>
    /// <param name="cellCount">The number of records it was computed over.</param>
    /// <param name="minimumCellCount">The policy's minimum cell count.</param>
    /// <returns>The metric with its value, or suppressed with a reason.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="cellCount"/> is negative or <paramref name="minimumCellCount"/> is below 1.</exception>
    public static AggregateMetric Apply(string name, double value, long cellCount, int minimumCellCount)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegative(cellCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumCellCount, 1);
        if (cellCount < minimumCellCount)
        {
            return new AggregateMetric(name, null, cellCount, true, string.Create(
                CultureInfo.InvariantCulture, $"computed over {cellCount} records, fewer than the minimum cell count {minimumCellCount}"));
        }

        return new AggregateMetric(name, value, cellCount, false, null);
    }

    /// <summary>Returns the metric suppressed unconditionally, with the given reason.</summary>
    /// <param name="name">The metric name.</param>
    /// <param name="cellCount">The number of records it was computed over.</param>
    /// <param name="reason">Why it is withheld.</param>
    /// <returns>The suppressed metric.</returns>
    public static AggregateMetric Withhold(string name, long cellCount, string reason) =>
        new(name, null, cellCount, true, reason);
}
