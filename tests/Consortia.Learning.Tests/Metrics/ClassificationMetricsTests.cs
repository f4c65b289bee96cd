using Consortia.Learning.Metrics;
using FsCheck.Xunit;

namespace Consortia.Learning.Tests.Metrics;

public sealed class ClassificationMetricsTests
{
    private const double Tolerance = 1e-6;

    // ---- Accuracy ----

    [Fact]
    public void Accuracy_ProbabilityExactlyAtThreshold_CountsAsNegativeLikeFlamby()
    {
        float[] probabilities = [0.5f, 0.51f, 0.2f, 0.9f];
        float[] labels = [1f, 1f, 0f, 0f];

        double accuracy = ClassificationMetrics.Accuracy(probabilities, labels);

        // Predictions (p > 0.5): 0, 1, 0, 1 → correct at indices 1 and 2. With p >= 0.5 it would be 0.75.
        Assert.Equal(0.5, accuracy, Tolerance);
    }

    [Fact]
    public void Accuracy_CustomThreshold_UsesIt()
    {
        float[] scores = [-1f, 0.25f, 2f];
        float[] labels = [0f, 1f, 1f];

        double accuracy = ClassificationMetrics.Accuracy(scores, labels, threshold: 0f);

        Assert.Equal(1.0, accuracy, Tolerance);
    }

    [Fact]
    public void Accuracy_LongInputAllWrong_IsZero()
    {
        // 1001 examples: the vector loop plus a scalar tail.
        float[] probabilities = Enumerable.Range(0, 1001).Select(i => i % 2 == 0 ? 0.9f : 0.1f).ToArray();
        float[] labels = Enumerable.Range(0, 1001).Select(i => i % 2 == 0 ? 0f : 1f).ToArray();

        double accuracy = ClassificationMetrics.Accuracy(probabilities, labels);

        Assert.Equal(0.0, accuracy);
    }

    [Property(Arbitrary = [typeof(MetricArbitraries)], MaxTest = 100, Replay = "(271828,314159)")]
    public void Accuracy_AnySample_EqualsScalarDefinition(ScoredSample sample)
    {
        double expected = ReferenceMetrics.ScalarAccuracy(sample.Scores, sample.Labels, 0.5f);

        double actual = ClassificationMetrics.Accuracy(sample.Scores, sample.Labels);

        Assert.Equal(expected, actual, 1e-12);
    }

    [Fact]
    public void Accuracy_NaNThreshold_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.Accuracy([0.5f], [1f], float.NaN));
    }

    // ---- ROC-AUC ----

    [Fact]
    public void RocAuc_ScikitLearnDocumentationExample_IsThreeQuarters()
    {
        // sklearn.metrics.roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75.
        double auc = ClassificationMetrics.RocAuc([0.1f, 0.4f, 0.35f, 0.8f], [0f, 0f, 1f, 1f]);

        Assert.Equal(0.75, auc, Tolerance);
    }

    [Fact]
    public void RocAuc_TiedPositiveAndNegative_CountsHalf()
    {
        // Pairs (pos, neg): (0.5, 0.5) = ½, (0.5, 0.2) = 1, (0.9, 0.5) = 1, (0.9, 0.2) = 1 → 3.5 / 4.
        double auc = ClassificationMetrics.RocAuc([0.5f, 0.5f, 0.2f, 0.9f], [0f, 1f, 0f, 1f]);

        Assert.Equal(0.875, auc, Tolerance);
    }

    [Fact]
    public void RocAuc_AllScoresEqual_IsOneHalf()
    {
        double auc = ClassificationMetrics.RocAuc([0.3f, 0.3f, 0.3f, 0.3f, 0.3f], [0f, 1f, 1f, 0f, 1f]);

        Assert.Equal(0.5, auc, Tolerance);
    }

    [Fact]
    public void RocAuc_PerfectRanking_IsOne()
    {
        double auc = ClassificationMetrics.RocAuc([0.1f, 0.2f, 0.7f, 0.8f, 0.9f], [0f, 0f, 1f, 1f, 1f]);

        Assert.Equal(1.0, auc);
    }

    [Fact]
    public void RocAuc_InvertedRanking_IsZero()
    {
        double auc = ClassificationMetrics.RocAuc([0.9f, 0.8f, 0.7f, 0.2f, 0.1f], [0f, 0f, 1f, 1f, 1f]);

        Assert.Equal(0.0, auc);
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(1f)]
    public void RocAuc_OneClassOnly_IsNaN(float onlyLabel)
    {
        double auc = ClassificationMetrics.RocAuc([0.1f, 0.6f, 0.9f], [onlyLabel, onlyLabel, onlyLabel]);

        Assert.True(double.IsNaN(auc));
    }

    [Property(Arbitrary = [typeof(MetricArbitraries)], MaxTest = 100, Replay = "(161803,141421)")]
    public void RocAuc_AnySample_EqualsPairCounting(ScoredSample sample)
    {
        double expected = ReferenceMetrics.PairwiseAuc(sample.Scores, sample.Labels);

        double actual = ClassificationMetrics.RocAuc(sample.Scores, sample.Labels);

        if (double.IsNaN(expected))
        {
            Assert.True(double.IsNaN(actual));
        }
        else
        {
            Assert.Equal(expected, actual, 1e-12);
        }
    }

    [Property(Arbitrary = [typeof(MetricArbitraries)], MaxTest = 100, Replay = "(577215,662607)")]
    public void RocAuc_StrictlyIncreasingTransformOfScores_IsUnchanged(ScoredSample sample)
    {
        // exp(8x − 3) keeps the order and keeps distinct floats of the generator distinct.
        float[] transformed = sample.Scores.Select(s => (float)Math.Exp((8.0 * s) - 3.0)).ToArray();

        double original = ClassificationMetrics.RocAuc(sample.Scores, sample.Labels);
        double after = ClassificationMetrics.RocAuc(transformed, sample.Labels);

        Assert.Equal(original, after, 1e-12);
    }

    [Property(Arbitrary = [typeof(MetricArbitraries)], MaxTest = 100, Replay = "(299792,458101)")]
    public void RocAuc_NegatedScores_IsComplement(ScoredSample sample)
    {
        float[] negated = sample.Scores.Select(s => -s).ToArray();

        double original = ClassificationMetrics.RocAuc(sample.Scores, sample.Labels);
        double flipped = ClassificationMetrics.RocAuc(negated, sample.Labels);

        if (double.IsNaN(original))
        {
            Assert.True(double.IsNaN(flipped));
        }
        else
        {
            Assert.Equal(1.0 - original, flipped, 1e-12);
        }
    }

    [Fact]
    public void RocAuc_LargeSeededSample_MatchesPairCounting()
    {
        RandomSource random = new(20250601);
        float[] scores = new float[3000];
        float[] labels = new float[3000];
        for (int i = 0; i < scores.Length; i++)
        {
            labels[i] = random.NextDouble() < 0.3 ? 1f : 0f;
            // Rounded to two decimals so that ties are frequent; positives lean higher.
            scores[i] = MathF.Round((float)(random.NextDouble() + (0.3 * labels[i])), 2);
        }

        double expected = ReferenceMetrics.PairwiseAuc(scores, labels);

        double actual = ClassificationMetrics.RocAuc(scores, labels);

        Assert.Equal(expected, actual, 1e-12);
        Assert.InRange(actual, 0.6, 0.9);
    }

    // ---- Log-loss ----

    [Fact]
    public void LogLoss_ScikitLearnDocumentationExample_Matches()
    {
        // sklearn.metrics.log_loss(["spam", "ham", "ham", "spam"], [[.1, .9], [.9, .1], [.8, .2], [.35, .65]])
        // = 0.21616..., i.e. −(ln .9 + ln .9 + ln .8 + ln .65) / 4 with spam as the positive class.
        double loss = ClassificationMetrics.LogLoss([0.9f, 0.1f, 0.2f, 0.65f], [1f, 0f, 0f, 1f]);

        Assert.Equal(0.21616187468057912, loss, Tolerance);
    }

    [Fact]
    public void LogLoss_ConfidentMistake_IsClippedToFiniteValue()
    {
        double positiveMissed = ClassificationMetrics.LogLoss([0f], [1f]);
        double negativeMissed = ClassificationMetrics.LogLoss([1f], [0f]);

        // −ln(1e-15) and −ln(1 − (1 − 1e-15)), as scikit-learn computes them after clipping.
        Assert.Equal(34.538776394910684, positiveMissed, 1e-9);
        Assert.Equal(34.53957599234088, negativeMissed, 1e-9);
    }

    [Fact]
    public void LogLoss_PerfectPredictions_IsNearZero()
    {
        double loss = ClassificationMetrics.LogLoss([1f, 0f, 1f], [1f, 0f, 1f]);

        Assert.InRange(loss, 0.0, 1e-14);
    }

    [Fact]
    public void LogLoss_LargerEpsilon_ClipsHarder()
    {
        double loss = ClassificationMetrics.LogLoss([0f], [1f], epsilon: 1e-3);

        Assert.Equal(-Math.Log(1e-3), loss, 1e-9);
    }

    [Property(Arbitrary = [typeof(MetricArbitraries)], MaxTest = 100, Replay = "(602214,160217)")]
    public void LogLoss_AnySample_EqualsScalarDefinition(ScoredSample sample)
    {
        double expected = ReferenceMetrics.ScalarLogLoss(sample.Scores, sample.Labels, 1e-15);

        double actual = ClassificationMetrics.LogLoss(sample.Scores, sample.Labels);

        Assert.Equal(expected, actual, 1e-9);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(double.NaN)]
    public void LogLoss_EpsilonOutOfRange_Throws(double epsilon)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.LogLoss([0.5f], [1f], epsilon));
    }

    // ---- Brier ----

    [Fact]
    public void BrierScore_ScikitLearnDocumentationExample_Matches()
    {
        // sklearn.metrics.brier_score_loss([0, 1, 1, 0], [0.1, 0.9, 0.8, 0.3]) == 0.0375.
        double brier = ClassificationMetrics.BrierScore([0.1f, 0.9f, 0.8f, 0.3f], [0f, 1f, 1f, 0f]);

        Assert.Equal(0.0375, brier, Tolerance);
    }

    [Fact]
    public void BrierScore_PerfectAndInverted_AreZeroAndOne()
    {
        double perfect = ClassificationMetrics.BrierScore([1f, 0f], [1f, 0f]);
        double inverted = ClassificationMetrics.BrierScore([0f, 1f], [1f, 0f]);

        Assert.Equal(0.0, perfect);
        Assert.Equal(1.0, inverted);
    }

    [Fact]
    public void BrierScore_InputSpanningSeveralChunks_EqualsScalarDefinition()
    {
        RandomSource random = new(7);
        float[] probabilities = Enumerable.Range(0, 1000).Select(_ => (float)random.NextDouble()).ToArray();
        float[] labels = Enumerable.Range(0, 1000).Select(_ => random.NextDouble() < 0.5 ? 1f : 0f).ToArray();

        double brier = ClassificationMetrics.BrierScore(probabilities, labels);
        double loss = ClassificationMetrics.LogLoss(probabilities, labels);

        Assert.Equal(ReferenceMetrics.ScalarBrier(probabilities, labels), brier, 1e-12);
        Assert.Equal(ReferenceMetrics.ScalarLogLoss(probabilities, labels, 1e-15), loss, 1e-12);
    }

    [Property(Arbitrary = [typeof(MetricArbitraries)], MaxTest = 100, Replay = "(662607,105457)")]
    public void BrierScore_AnySample_EqualsScalarDefinition(ScoredSample sample)
    {
        double expected = ReferenceMetrics.ScalarBrier(sample.Scores, sample.Labels);

        double actual = ClassificationMetrics.BrierScore(sample.Scores, sample.Labels);

        Assert.Equal(expected, actual, 1e-12);
    }

    // ---- Calibration ----

    [Fact]
    public void Calibration_HandComputedExample_GivesBinsAndErrors()
    {
        float[] probabilities = [0.05f, 0.15f, 0.18f, 0.95f, 1f];
        float[] labels = [0f, 1f, 0f, 1f, 1f];

        CalibrationCurve curve = ClassificationMetrics.Calibration(probabilities, labels, bins: 10);

        Assert.Equal(10, curve.Bins.Length);
        Assert.Equal(5, curve.Count);
        Assert.Equal([1, 2, 0, 0, 0, 0, 0, 0, 0, 2], curve.Bins.Select(b => b.Count));
        Assert.Equal(0.05, curve.Bins[0].MeanPredicted!.Value, Tolerance);
        Assert.Equal(0.0, curve.Bins[0].ObservedRate!.Value, Tolerance);
        Assert.Equal(0.165, curve.Bins[1].MeanPredicted!.Value, Tolerance);
        Assert.Equal(0.5, curve.Bins[1].ObservedRate!.Value, Tolerance);
        Assert.Equal(0.975, curve.Bins[9].MeanPredicted!.Value, Tolerance);
        Assert.Equal(1.0, curve.Bins[9].ObservedRate!.Value, Tolerance);
        Assert.Null(curve.Bins[4].MeanPredicted);
        Assert.Null(curve.Bins[4].ObservedRate);
        Assert.Null(curve.Bins[4].Gap);
        // ECE = (1·0.05 + 2·0.335 + 2·0.025) / 5; MCE = 0.335.
        Assert.Equal(0.154, curve.ExpectedCalibrationError, Tolerance);
        Assert.Equal(0.335, curve.MaximumCalibrationError, Tolerance);
    }

    [Fact]
    public void Calibration_BinEdges_CoverUnitIntervalWithOneInLastBin()
    {
        CalibrationCurve curve = ClassificationMetrics.Calibration([0f, 0.25f, 0.5f, 1f], [0f, 0f, 1f, 1f], bins: 4);

        Assert.Equal([0.0, 0.25, 0.5, 0.75], curve.Bins.Select(b => b.Lower));
        Assert.Equal([0.25, 0.5, 0.75, 1.0], curve.Bins.Select(b => b.Upper));
        Assert.Equal([1, 1, 1, 1], curve.Bins.Select(b => b.Count));
    }

    [Fact]
    public void Calibration_PerfectlyCalibratedBins_HaveZeroError()
    {
        // Bin [0.4, 0.6) holds four predictions of 0.5, half of them positive; the 0 and 1 predictions are right.
        float[] probabilities = [0.5f, 0.5f, 0.5f, 0.5f, 0f, 0f, 1f];
        float[] labels = [1f, 0f, 1f, 0f, 0f, 0f, 1f];

        CalibrationCurve curve = ClassificationMetrics.Calibration(probabilities, labels, bins: 5);

        Assert.Equal(0.0, curve.ExpectedCalibrationError, 1e-12);
        Assert.Equal(0.0, curve.MaximumCalibrationError, 1e-12);
    }

    [Property(Arbitrary = [typeof(MetricArbitraries)], MaxTest = 100, Replay = "(123457,987653)")]
    public void Calibration_AnySample_BinsPartitionExamplesAndEceIsWeightedGap(ScoredSample sample)
    {
        CalibrationCurve curve = ClassificationMetrics.Calibration(sample.Scores, sample.Labels, bins: 7);

        Assert.Equal(sample.Scores.Length, curve.Bins.Sum(b => b.Count));
        double weighted = curve.Bins.Where(b => b.Count > 0).Sum(b => b.Count * b.Gap!.Value) / sample.Scores.Length;
        Assert.Equal(weighted, curve.ExpectedCalibrationError, 1e-12);
        Assert.InRange(curve.ExpectedCalibrationError, 0.0, curve.MaximumCalibrationError + 1e-12);
        foreach (CalibrationBin bin in curve.Bins.Where(b => b.Count > 0))
        {
            Assert.InRange(bin.MeanPredicted!.Value, bin.Lower - 1e-12, bin.Upper + 1e-12);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10_001)]
    public void Calibration_BinCountOutOfRange_Throws(int bins)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ClassificationMetrics.Calibration([0.5f], [1f], bins));
    }

    // ---- Input validation shared by all metrics ----

    [Fact]
    public void Metrics_LengthMismatch_ThrowsNamingBothSpans()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => ClassificationMetrics.RocAuc([0.1f, 0.2f], [1f]));

        Assert.Contains("'scores' has 2 values but 'labels' has 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metrics_EmptyInput_Throws()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => ClassificationMetrics.BrierScore([], []));

        Assert.Contains("empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metrics_NonBinaryLabel_ThrowsNamingTheIndex()
    {
        // 20 labels so that the bad one is found by the vector scan, not only by the scalar tail.
        float[] labels = new float[20];
        labels[13] = 0.5f;
        float[] probabilities = new float[20];

        ArgumentException error = Assert.Throws<ArgumentException>(() => ClassificationMetrics.Accuracy(probabilities, labels));

        Assert.Contains("labels[13] is 0.5; expected 0 or 1", error.Message, StringComparison.Ordinal);
        Assert.Equal("labels", error.ParamName);
    }

    [Fact]
    public void Metrics_NaNScore_ThrowsNamingTheIndex()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => ClassificationMetrics.RocAuc([0.1f, float.NaN], [0f, 1f]));

        Assert.Contains("scores[1] is NaN", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(-0.01f)]
    [InlineData(1.01f)]
    [InlineData(float.NaN)]
    public void Metrics_ProbabilityOutsideUnitInterval_Throws(float bad)
    {
        float[] probabilities = [0.2f, bad, 0.3f];
        float[] labels = [0f, 1f, 0f];

        ArgumentException logLoss = Assert.Throws<ArgumentException>(() => ClassificationMetrics.LogLoss(probabilities, labels));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.BrierScore(probabilities, labels));
        Assert.Throws<ArgumentException>(() => ClassificationMetrics.Calibration(probabilities, labels));

        Assert.Contains("probabilities[1]", logLoss.Message, StringComparison.Ordinal);
    }
}
