using Consortia.Assurance.Fairness;
using Consortia.Data;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;

namespace Consortia.Assurance.Tests.Fairness;

/// <summary>ROC curves and calibration bins drawn from the audit's counts, against the same curves from pooled predictions.</summary>
public sealed class GroupCurvesTests(ITestOutputHelper output)
{
    [Fact]
    public void Curves_HeartBySexAndAge_RocAreaIsThePooledAucToTheGridAndTheBinsArePooledCalibration()
    {
        FederatedDataset heart = HeartData.Federation;
        (ModelSpec spec, float[] parameters) = FederatedFairnessAuditTests.TrainPooled(heart);
        FairnessAudit audit = new([FederatedFairnessAuditTests.Sex, FederatedFairnessAuditTests.AgeBand], [.. heart.Sites.Select(s => s.Name)]);

        FairnessReport report = FederatedFairnessAudit.Run(audit, heart.Sites, spec, parameters, _ => 1, new PlainCountChannel()).Report;

        // The pooled predictions, which only a simulation has: every site's test records with their groups.
        List<(float P, float Y, string Site, string Sex, string Age)> records = [];
        foreach (SiteData site in heart.Sites)
        {
            float[] p = SiteFairnessCounts.Predict(spec.CreateModel(site.Test.Count), parameters, site.Test);
            IReadOnlyList<int[]> groups = SiteFairnessCounts.GroupsOf(audit.Attributes, site, site.Test);
            for (int i = 0; i < p.Length; i++)
            {
                records.Add((p[i], site.Test.Labels[i], site.Name, audit.Attributes[0].Groups[groups[0][i]].Name, audit.Attributes[1].Groups[groups[1][i]].Name));
            }
        }

        double worstExact = 0, worstResolution = 0;
        foreach (GroupFairness cell in report.Groups.Append(report.Overall!))
        {
            (float P, float Y, string, string, string)[] members = [.. records.Where(r => cell.Attribute switch
            {
                FairnessAudit.SiteAttribute => r.Site == cell.Group,
                "sex" => r.Sex == cell.Group,
                "age_band" => r.Age == cell.Group,
                _ => true, // the overall cell
            })];
            float[] scores = [.. members.Select(m => m.P)], labels = [.. members.Select(m => m.Y)];
            float[] quantised = [.. scores.Select(s => (float)((double)FairnessCountLayout.Level(s) / FairnessCountLayout.ScoreLevels))];
            GroupCurves curves = cell.Curves!;
            Assert.Equal(members.Length, cell.N);

            // The area under the count-based curve is the pooled AUC of the scores at 1/1024 resolution, to the last bits…
            double area = curves.RocArea();
            double pooledQuantised = ClassificationMetrics.RocAuc(quantised, labels);
            worstExact = Math.Max(worstExact, Math.Abs(area - pooledQuantised));
            Assert.Equal(cell.Auc.Value, area, 12);
            // …and differs from the pooled AUC of the unrounded scores only by the pairs that rounding ties: rounding is
            // monotone, so a positive–negative pair changes only when both land on one 1/1024 level (a win or loss
            // becomes half a win), which bounds the difference by half the share of such pairs.
            double resolution = Math.Abs(area - ClassificationMetrics.RocAuc(scores, labels));
            Assert.InRange(resolution, 0, (0.5 * GridTiedPairs(scores, labels) / (labels.Count(l => l == 1f) * (double)labels.Count(l => l == 0f))) + 1e-12);
            worstResolution = Math.Max(worstResolution, resolution);
            if (cell.Attribute is "sex" or FairnessReport.OverallAttribute)
            {
                output.WriteLine($"{cell.Attribute}={cell.Group}: n {cell.N}, count-based AUC {area:F6}, pooled AUC {ClassificationMetrics.RocAuc(scores, labels):F6}, |diff| {resolution:E2}");
            }
            Assert.Equal((0.0, 0.0), (curves.Roc[0].Fpr, curves.Roc[0].Tpr));
            Assert.Equal((1.0, 1.0), (curves.Roc[^1].Fpr, curves.Roc[^1].Tpr));

            // The bins are the pooled calibration curve of the quantised scores, bin by bin.
            CalibrationCurve pooled = ClassificationMetrics.Calibration(quantised, labels, FairnessCountLayout.CalibrationBins);
            for (int b = 0; b < FairnessCountLayout.CalibrationBins; b++)
            {
                Assert.Equal(pooled.Bins[b].Count, curves.Calibration[b].N);
                Assert.Equal(pooled.Bins[b].MeanPredicted ?? double.NaN, curves.Calibration[b].MeanPredicted, 12);
                Assert.Equal(pooled.Bins[b].ObservedRate ?? double.NaN, curves.Calibration[b].ObservedRate.Value, 12);
            }

            Assert.Equal(pooled.ExpectedCalibrationError, curves.CalibrationError.Value, 12);
            Assert.InRange(curves.CalibrationError.Value, curves.CalibrationError.Lower, curves.CalibrationError.Upper);
        }

        output.WriteLine($"count-based ROC AUC vs pooled AUC of the quantised scores: max |diff| {worstExact:E2}; vs pooled AUC of the unrounded scores: max |diff| {worstResolution:E2} over {report.Groups.Length + 1} cells");
        Assert.InRange(worstExact, 0, 1e-12);
        Assert.Equal(heart.Sites.Sum(s => s.Test.Count), report.Overall!.N);
    }

    // Positive–negative pairs with different scores that share a 1/1024 level.
    private static long GridTiedPairs(float[] scores, float[] labels)
    {
        long tied = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            for (int j = 0; j < scores.Length; j++)
            {
                if (labels[i] == 1f && labels[j] == 0f && scores[i] != scores[j] && FairnessCountLayout.Level(scores[i]) == FairnessCountLayout.Level(scores[j]))
                {
                    tied++;
                }
            }
        }

        return tied;
    }

    [Fact]
    public void FromHistograms_TwoLevelsWithATie_GivesOneCornerPerOccupiedLevelAndHalfCreditForTheTie()
    {
        long[] negatives = new long[FairnessCountLayout.ScoreLevels + 1], positives = new long[FairnessCountLayout.ScoreLevels + 1];
        positives[900] = 2; // two positives at 0.879
        positives[512] = 1; // one positive and one negative tied at 0.5
        negatives[512] = 1;
        negatives[100] = 2;

        GroupCurves curves = GroupCurves.FromHistograms(negatives, positives);

        Assert.Equal(
            [(double.PositiveInfinity, 0.0, 0.0), (900.0 / 1024, 0.0, 2.0 / 3), (0.5, 1.0 / 3, 1.0), (100.0 / 1024, 1.0, 1.0)],
            curves.Roc.Select(p => (p.Threshold, p.Fpr, p.Tpr)));
        Assert.Equal((6 + 2.5) / 9.0, curves.RocArea(), 12); // Mann–Whitney: the two top positives beat all 3 negatives, the tied one beats 2 and ties 1
        Assert.Equal([2L, 0, 0, 0, 0, 2, 0, 0, 2, 0], curves.Calibration.Select(b => b.N)); // levels 100, 512, 900 fall in bins 0, 5, 8
        Assert.Equal(0.5, curves.Calibration[5].ObservedRate.Value);
        Assert.True(double.IsNaN(curves.Calibration[1].MeanPredicted));
    }

    [Fact]
    public void FromHistograms_OneClassOnly_HasNoRocButCalibration()
    {
        long[] negatives = new long[FairnessCountLayout.ScoreLevels + 1], positives = new long[FairnessCountLayout.ScoreLevels + 1];
        negatives[0] = 5;

        GroupCurves curves = GroupCurves.FromHistograms(negatives, positives);

        Assert.Empty(curves.Roc);
        Assert.True(double.IsNaN(curves.RocArea()));
        Assert.Equal(0, curves.CalibrationError.Value); // predicted 0, observed 0
        Assert.True(curves.CalibrationError.Upper > 0, "the shrunk rate keeps an all-negative bin uncertain");
        Assert.Throws<ArgumentException>(() => GroupCurves.FromHistograms(negatives.AsSpan(1), positives));
    }
}
