using System.Buffers;
using System.Collections.Immutable;
using System.Numerics;
using System.Numerics.Tensors;

namespace Consortia.Learning.Metrics;

/// <summary>Metrics of binary classifiers: accuracy, ROC-AUC, log-loss, Brier score and calibration.</summary>
/// <remarks>
/// Every metric takes one predicted value and one label per example, as paired spans of equal, non-zero
/// length, and returns a <see cref="double"/>. Labels must be exactly 0 or 1. Computations accumulate in
/// double precision; the methods allocate nothing except sorting scratch (rented from
/// <see cref="ArrayPool{T}.Shared"/>) and the result of <see cref="Calibration"/>. All methods are pure
/// and thread-safe.
/// </remarks>
public static class ClassificationMetrics
{
    // Length of the stack buffers through which float inputs are widened to double in chunks.
    private const int ChunkLength = 256;

    /// <summary>The fraction of examples whose thresholded prediction equals the label.</summary>
    /// <param name="probabilities">The predicted probabilities of the positive class (or any score compared to <paramref name="threshold"/>).</param>
    /// <param name="labels">The true labels, 0 or 1.</param>
    /// <param name="threshold">An example is predicted positive when its probability is strictly greater than this.</param>
    /// <returns>The accuracy, in [0, 1].</returns>
    /// <exception cref="ArgumentException">The spans differ in length or are empty, a probability is NaN or a label is not 0 or 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threshold"/> is NaN.</exception>
    /// <remarks>
    /// The comparison is strict (<c>p &gt; threshold</c>), matching FLamby's Fed-Heart-Disease metric
    /// (<c>((y_pred &gt; 0.5) == y_true).mean()</c> in <c>flamby/datasets/fed_heart_disease/metric.py</c>), so a
    /// probability of exactly 0.5 counts as a negative prediction.
    /// </remarks>
    public static double Accuracy(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> labels, float threshold = 0.5f)
    {
        MetricInput.RequirePaired(probabilities.Length, labels.Length, nameof(probabilities), nameof(labels));
        if (float.IsNaN(threshold))
        {
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "The threshold must be a number.");
        }

        MetricInput.RequireNotNaN(probabilities, nameof(probabilities));
        MetricInput.RequireBinary(labels, nameof(labels));

        long correct = 0;
        int i = 0;
        if (Vector.IsHardwareAccelerated && probabilities.Length >= Vector<float>.Count)
        {
            Vector<float> cut = new(threshold);
            Vector<float> one = Vector<float>.One;
            // Each lane counts down by one (a match is all bits set, i.e. -1) and holds at most
            // length / lanes matches, far from int overflow for any span.
            Vector<int> matches = Vector<int>.Zero;
            for (; i <= probabilities.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                Vector<int> predicted = Vector.GreaterThan(new Vector<float>(probabilities.Slice(i, Vector<float>.Count)), cut);
                Vector<int> actual = Vector.Equals(new Vector<float>(labels.Slice(i, Vector<float>.Count)), one);
                matches += Vector.Equals(predicted, actual);
            }

            correct = -(long)Vector.Sum(matches);
        }

        for (; i < probabilities.Length; i++)
        {
            if ((probabilities[i] > threshold) == (labels[i] == 1f))
            {
                correct++;
            }
        }

        return (double)correct / probabilities.Length;
    }

    /// <summary>The area under the ROC curve: the probability that a random positive scores above a random negative.</summary>
    /// <param name="scores">The predicted scores; only their order matters.</param>
    /// <param name="labels">The true labels, 0 or 1.</param>
    /// <returns>
    /// The AUC in [0, 1], or <see cref="double.NaN"/> when the labels hold only one class (the AUC is undefined;
    /// FLamby's metrics return NaN in that case too, where scikit-learn raises).
    /// </returns>
    /// <exception cref="ArgumentException">The spans differ in length or are empty, a score is NaN or a label is not 0 or 1.</exception>
    /// <remarks>
    /// Computed as the Mann–Whitney U statistic with average ranks for tied scores, so a positive and a negative
    /// with equal scores count one half; this equals scikit-learn's <c>roc_auc_score</c> (trapezoidal ROC area).
    /// O(n log n): the scores are sorted once in rented scratch.
    /// </remarks>
    public static double RocAuc(ReadOnlySpan<float> scores, ReadOnlySpan<float> labels)
    {
        MetricInput.RequirePaired(scores.Length, labels.Length, nameof(scores), nameof(labels));
        MetricInput.RequireNotNaN(scores, nameof(scores));
        MetricInput.RequireBinary(labels, nameof(labels));

        int n = scores.Length;
        long positives = 0;
        foreach (float label in labels)
        {
            positives += label == 1f ? 1 : 0;
        }

        long negatives = n - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        float[] keyBuffer = ArrayPool<float>.Shared.Rent(n);
        float[] labelBuffer = ArrayPool<float>.Shared.Rent(n);
        try
        {
            Span<float> keys = keyBuffer.AsSpan(0, n);
            Span<float> sortedLabels = labelBuffer.AsSpan(0, n);
            scores.CopyTo(keys);
            labels.CopyTo(sortedLabels);
            keys.Sort(sortedLabels);

            // Twice the U statistic, kept integral: each positive earns 2 per negative scored strictly below it
            // and 1 per negative tied with it (the average-rank treatment of ties).
            long twiceU = 0;
            long negativesBelow = 0;
            int start = 0;
            while (start < n)
            {
                int end = start;
                long groupPositives = 0;
                while (end < n && keys[end] == keys[start])
                {
                    groupPositives += sortedLabels[end] == 1f ? 1 : 0;
                    end++;
                }

                long groupNegatives = end - start - groupPositives;
                twiceU += groupPositives * ((2 * negativesBelow) + groupNegatives);
                negativesBelow += groupNegatives;
                start = end;
            }

            return twiceU / (2.0 * positives * negatives);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(keyBuffer);
            ArrayPool<float>.Shared.Return(labelBuffer);
        }
    }

    /// <summary>The mean binary cross-entropy (negative log-likelihood) of the labels under the predicted probabilities.</summary>
    /// <param name="probabilities">The predicted probabilities of the positive class, in [0, 1].</param>
    /// <param name="labels">The true labels, 0 or 1.</param>
    /// <param name="epsilon">Probabilities are clipped to [ε, 1 − ε] first so that a confident mistake costs a finite amount.</param>
    /// <returns>The log-loss in nats, ≥ 0; lower is better.</returns>
    /// <exception cref="ArgumentException">The spans differ in length or are empty, a probability is outside [0, 1] or NaN, or a label is not 0 or 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is not in (0, 0.5).</exception>
    /// <remarks>
    /// Equals scikit-learn's <c>log_loss(labels, probabilities, eps=epsilon)</c>: clip, then average
    /// −[y·ln p + (1 − y)·ln(1 − p)]. Vectorised in double precision over stack chunks.
    /// </remarks>
    public static double LogLoss(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> labels, double epsilon = 1e-15)
    {
        MetricInput.RequirePaired(probabilities.Length, labels.Length, nameof(probabilities), nameof(labels));
        if (!(epsilon > 0 && epsilon < 0.5))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "Epsilon must be in (0, 0.5).");
        }

        MetricInput.RequireProbabilities(probabilities, nameof(probabilities));
        MetricInput.RequireBinary(labels, nameof(labels));

        Span<double> p = stackalloc double[ChunkLength];
        Span<double> y = stackalloc double[ChunkLength];
        double total = 0;
        for (int offset = 0; offset < probabilities.Length; offset += ChunkLength)
        {
            int length = Math.Min(ChunkLength, probabilities.Length - offset);
            Span<double> pc = p[..length];
            Span<double> yc = y[..length];
            TensorPrimitives.ConvertChecked<float, double>(probabilities.Slice(offset, length), pc);
            TensorPrimitives.ConvertChecked<float, double>(labels.Slice(offset, length), yc);
            TensorPrimitives.Clamp(pc, epsilon, 1 - epsilon, pc);

            // The probability given to the true class is |(1 − y) − p|: p when y = 1, 1 − p when y = 0.
            TensorPrimitives.Subtract(1.0, yc, yc);
            TensorPrimitives.Subtract(yc, pc, yc);
            TensorPrimitives.Abs(yc, yc);
            TensorPrimitives.Log(yc, yc);
            total -= TensorPrimitives.Sum<double>(yc);
        }

        return total / probabilities.Length;
    }

    /// <summary>The Brier score: the mean squared difference between predicted probability and label.</summary>
    /// <param name="probabilities">The predicted probabilities of the positive class, in [0, 1].</param>
    /// <param name="labels">The true labels, 0 or 1.</param>
    /// <returns>The Brier score, in [0, 1]; lower is better.</returns>
    /// <exception cref="ArgumentException">The spans differ in length or are empty, a probability is outside [0, 1] or NaN, or a label is not 0 or 1.</exception>
    /// <remarks>Equals scikit-learn's <c>brier_score_loss</c>. Vectorised in double precision over stack chunks.</remarks>
    public static double BrierScore(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> labels)
    {
        MetricInput.RequirePaired(probabilities.Length, labels.Length, nameof(probabilities), nameof(labels));
        MetricInput.RequireProbabilities(probabilities, nameof(probabilities));
        MetricInput.RequireBinary(labels, nameof(labels));

        Span<double> p = stackalloc double[ChunkLength];
        Span<double> y = stackalloc double[ChunkLength];
        double total = 0;
        for (int offset = 0; offset < probabilities.Length; offset += ChunkLength)
        {
            int length = Math.Min(ChunkLength, probabilities.Length - offset);
            Span<double> pc = p[..length];
            Span<double> yc = y[..length];
            TensorPrimitives.ConvertChecked<float, double>(probabilities.Slice(offset, length), pc);
            TensorPrimitives.ConvertChecked<float, double>(labels.Slice(offset, length), yc);
            TensorPrimitives.Subtract(pc, yc, pc);
            total += TensorPrimitives.SumOfSquares<double>(pc);
        }

        return total / probabilities.Length;
    }

    /// <summary>Groups predictions into equal-width probability bins and measures how far each bin is from calibrated.</summary>
    /// <param name="probabilities">The predicted probabilities of the positive class, in [0, 1].</param>
    /// <param name="labels">The true labels, 0 or 1.</param>
    /// <param name="bins">The number of equal-width bins over [0, 1].</param>
    /// <returns>The per-bin counts, mean predicted probabilities and observed positive rates, with the expected and maximum calibration errors.</returns>
    /// <exception cref="ArgumentException">The spans differ in length or are empty, a probability is outside [0, 1] or NaN, or a label is not 0 or 1.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is less than 1 or greater than 10 000.</exception>
    /// <remarks>
    /// Probability p goes to bin k = min(⌊p·bins⌋, bins − 1): bin k covers [k/bins, (k+1)/bins) and the last
    /// bin also holds 1. (scikit-learn's <c>calibration_curve</c> puts a value lying exactly on an inner edge in the
    /// lower bin instead; the two agree everywhere else.) The expected calibration error follows Guo et al.,
    /// "On Calibration of Modern Neural Networks", ICML 2017.
    /// </remarks>
    public static CalibrationCurve Calibration(ReadOnlySpan<float> probabilities, ReadOnlySpan<float> labels, int bins = 10)
    {
        MetricInput.RequirePaired(probabilities.Length, labels.Length, nameof(probabilities), nameof(labels));
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bins, 10_000);
        MetricInput.RequireProbabilities(probabilities, nameof(probabilities));
        MetricInput.RequireBinary(labels, nameof(labels));

        double[] scratch = ArrayPool<double>.Shared.Rent(3 * bins);
        try
        {
            Span<double> counts = scratch.AsSpan(0, bins);
            Span<double> predictedSums = scratch.AsSpan(bins, bins);
            Span<double> positiveSums = scratch.AsSpan(2 * bins, bins);
            counts.Clear();
            predictedSums.Clear();
            positiveSums.Clear();
            for (int i = 0; i < probabilities.Length; i++)
            {
                double p = probabilities[i];
                int k = Math.Min((int)(p * bins), bins - 1);
                counts[k] += 1;
                predictedSums[k] += p;
                positiveSums[k] += labels[i];
            }

            ImmutableArray<CalibrationBin>.Builder result = ImmutableArray.CreateBuilder<CalibrationBin>(bins);
            double expectedError = 0;
            double maximumError = 0;
            for (int k = 0; k < bins; k++)
            {
                double lower = (double)k / bins;
                double upper = (double)(k + 1) / bins;
                int count = (int)counts[k];
                if (count == 0)
                {
                    result.Add(new CalibrationBin(lower, upper, 0, null, null));
                    continue;
                }

                double meanPredicted = predictedSums[k] / count;
                double observedRate = positiveSums[k] / count;
                double gap = Math.Abs(meanPredicted - observedRate);
                expectedError += count * gap;
                maximumError = Math.Max(maximumError, gap);
                result.Add(new CalibrationBin(lower, upper, count, meanPredicted, observedRate));
            }

            return new CalibrationCurve(result.MoveToImmutable(), probabilities.Length, expectedError / probabilities.Length, maximumError);
        }
        finally
        {
            ArrayPool<double>.Shared.Return(scratch);
        }
    }
}
