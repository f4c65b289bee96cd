using System.Collections.Immutable;

namespace Consortia.Assurance.Fairness;

/// <summary>One corner of a ROC curve drawn from score-level counts.</summary>
/// <param name="Threshold">A record counts as predicted positive when its quantised score (level/1024) is at least this; +∞ for the curve's start (0, 0).</param>
/// <param name="Fpr">The false-positive rate at that threshold.</param>
/// <param name="Tpr">The true-positive rate at that threshold.</param>
public readonly record struct RocPoint(double Threshold, double Fpr, double Tpr);

/// <summary>One equal-width calibration bin, from counts.</summary>
/// <param name="Lower">The bin's lower edge (inclusive).</param>
/// <param name="Upper">The bin's upper edge (exclusive, except the last bin's 1).</param>
/// <param name="N">The records whose quantised score falls in the bin.</param>
/// <param name="Positives">Of which with label 1.</param>
/// <param name="MeanPredicted">The mean quantised score of the bin's records (NaN when empty).</param>
/// <param name="ObservedRate">The share of positives, with its Wilson interval (undefined when empty).</param>
public readonly record struct CalibrationBinCounts(double Lower, double Upper, long N, long Positives, double MeanPredicted, Interval ObservedRate);

/// <summary>
/// A cell's ROC curve and calibration bins, computed from the audit's per-group score histograms (probabilities at
/// 1/1024 resolution): what a pooled-prediction ROC and calibration plot show, without any prediction leaving a site.
/// </summary>
/// <param name="Roc">The ROC corners from the highest score level down, starting at (0, 0) and ending at (1, 1); empty when the cell lacks positives or negatives.</param>
/// <param name="Calibration">The <see cref="FairnessCountLayout.CalibrationBins"/> bins, empty ones included (N = 0).</param>
/// <param name="CalibrationError">
/// The expected calibration error Σ (n_b/n)·|mean predicted_b − observed_b| with a delta-method 95 % interval: each bin's
/// observed rate varies binomially (variance from the rate shrunk as (positives + 2)/(n_b + 4), so a bin of all
/// negatives still contributes), the sign of each bin's difference held fixed. Lower end truncated at 0; the interval
/// is optimistic when a bin's difference is near zero, where the absolute value bends.
/// </param>
public sealed record GroupCurves(ImmutableArray<RocPoint> Roc, ImmutableArray<CalibrationBinCounts> Calibration, Interval CalibrationError)
{
    /// <summary>Computes the curves from a cell's two score histograms.</summary>
    /// <param name="negatives">Per score level 0…1024, the records with label 0.</param>
    /// <param name="positives">Per score level, the records with label 1.</param>
    /// <returns>The curves.</returns>
    /// <exception cref="ArgumentException">The histograms do not have <see cref="FairnessCountLayout.ScoreLevels"/> + 1 entries each.</exception>
    public static GroupCurves FromHistograms(ReadOnlySpan<long> negatives, ReadOnlySpan<long> positives)
    {
        if (negatives.Length != FairnessCountLayout.ScoreLevels + 1 || positives.Length != negatives.Length)
        {
            throw new ArgumentException($"Expected two histograms of {FairnessCountLayout.ScoreLevels + 1} score levels; got {negatives.Length} and {positives.Length}.", nameof(negatives));
        }

        return new GroupCurves(RocOf(negatives, positives), BinsOf(negatives, positives, out Interval error), error);
    }

    /// <summary>The area under <see cref="Roc"/> by trapezoids (NaN when the curve is empty).</summary>
    /// <returns>The area: on the same counts, the Mann–Whitney AUC (a tie of a positive and a negative is a diagonal step, worth one half).</returns>
    public double RocArea()
    {
        if (Roc.IsDefaultOrEmpty)
        {
            return double.NaN;
        }

        double area = 0;
        for (int i = 1; i < Roc.Length; i++)
        {
            area += (Roc[i].Fpr - Roc[i - 1].Fpr) * (Roc[i].Tpr + Roc[i - 1].Tpr) / 2;
        }

        return area;
    }

    private static ImmutableArray<RocPoint> RocOf(ReadOnlySpan<long> negatives, ReadOnlySpan<long> positives)
    {
        long p = 0, q = 0;
        for (int k = 0; k < negatives.Length; k++)
        {
            p += positives[k];
            q += negatives[k];
        }

        if (p == 0 || q == 0)
        {
            return [];
        }

        // Lower the threshold one occupied level at a time: every record at that level turns positive together, so a
        // level holding both classes is one diagonal step (the half credit of a tie in the AUC).
        ImmutableArray<RocPoint>.Builder points = ImmutableArray.CreateBuilder<RocPoint>();
        points.Add(new RocPoint(double.PositiveInfinity, 0, 0));
        long tp = 0, fp = 0;
        for (int k = negatives.Length - 1; k >= 0; k--)
        {
            if (positives[k] + negatives[k] == 0)
            {
                continue;
            }

            tp += positives[k];
            fp += negatives[k];
            points.Add(new RocPoint((double)k / FairnessCountLayout.ScoreLevels, (double)fp / q, (double)tp / p));
        }

        return points.ToImmutable();
    }

    // The bins as ClassificationMetrics.Calibration forms them on the probabilities level/1024 (whose per-bin sums are
    // exact in double), so the error equals the pooled one computed on the quantised scores.
    private static ImmutableArray<CalibrationBinCounts> BinsOf(ReadOnlySpan<long> negatives, ReadOnlySpan<long> positives, out Interval error)
    {
        const int bins = FairnessCountLayout.CalibrationBins;
        long[] counts = new long[bins], observed = new long[bins];
        double[] predicted = new double[bins];
        long n = 0;
        for (int k = 0; k < negatives.Length; k++)
        {
            int bin = FairnessCountLayout.CalibrationBin(k);
            long m = negatives[k] + positives[k];
            counts[bin] += m;
            predicted[bin] += m * ((double)k / FairnessCountLayout.ScoreLevels);
            observed[bin] += positives[k];
            n += m;
        }

        ImmutableArray<CalibrationBinCounts>.Builder result = ImmutableArray.CreateBuilder<CalibrationBinCounts>(bins);
        double sum = 0, variance = 0;
        for (int b = 0; b < bins; b++)
        {
            double mean = counts[b] > 0 ? predicted[b] / counts[b] : double.NaN;
            result.Add(new CalibrationBinCounts((double)b / bins, (double)(b + 1) / bins, counts[b], observed[b], mean, Interval.Wilson(observed[b], counts[b])));
            if (counts[b] > 0)
            {
                sum += counts[b] * Math.Abs(mean - ((double)observed[b] / counts[b]));
                double shrunk = (observed[b] + 2.0) / (counts[b] + 4.0);
                double weight = (double)counts[b] / n;
                variance += weight * weight * shrunk * (1 - shrunk) / counts[b];
            }
        }

        if (n == 0)
        {
            error = Interval.Undefined;
        }
        else
        {
            double ece = sum / n, half = Interval.Z95 * Math.Sqrt(variance);
            error = new Interval(ece, Math.Max(0, ece - half), ece + half);
        }

        return result.MoveToImmutable();
    }
}
