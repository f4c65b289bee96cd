namespace Consortia.Learning.Metrics;

/// <summary>One equal-width probability bin of a <see cref="CalibrationCurve"/>.</summary>
/// <param name="Lower">The inclusive lower edge of the bin.</param>
/// <param name="Upper">The exclusive upper edge of the bin (inclusive for the last bin, so that 1 belongs to it).</param>
/// <param name="Count">The number of examples whose predicted probability falls in the bin.</param>
/// <param name="MeanPredicted">The mean predicted probability in the bin, or <see langword="null"/> when the bin is empty.</param>
/// <param name="ObservedRate">The fraction of positive labels in the bin, or <see langword="null"/> when the bin is empty.</param>
public readonly record struct CalibrationBin(double Lower, double Upper, int Count, double? MeanPredicted, double? ObservedRate)
{
    /// <summary>The absolute gap between <see cref="MeanPredicted"/> and <see cref="ObservedRate"/>, or <see langword="null"/> when the bin is empty.</summary>
    public double? Gap => MeanPredicted is double predicted && ObservedRate is double observed ? Math.Abs(predicted - observed) : null;
}
