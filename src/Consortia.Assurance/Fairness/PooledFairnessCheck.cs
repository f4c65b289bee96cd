using Consortia.Learning.Metrics;

namespace Consortia.Assurance.Fairness;

/// <summary>One site's records for the pooled check (simulation only: the records never leave a real site).</summary>
/// <param name="Site">The site.</param>
/// <param name="Probabilities">The model's probability per test record.</param>
/// <param name="Labels">The labels.</param>
/// <param name="Groups">Per declared attribute, each record's group index.</param>
/// <param name="Suppressed">The cells the site withheld: the pooled check leaves its records out of them too.</param>
public sealed record PooledSiteRecords(string Site, float[] Probabilities, float[] Labels, IReadOnlyList<int[]> Groups, IReadOnlyCollection<FairnessCell> Suppressed);

/// <summary>The pooled check's outcome.</summary>
/// <param name="MaxAbsDiff">The largest absolute difference between a federated and a pooled number (n, accuracy, TPR, FPR, positive rate, AUC, calibration error).</param>
/// <param name="Compared">How many numbers were compared.</param>
/// <param name="AucResolutionMaxAbsDiff">The largest difference between a pooled AUC on the quantised scores (what the audit reports) and on the unrounded ones: the cost of the 1/1024 score resolution.</param>
public sealed record PooledCheck(double MaxAbsDiff, int Compared, double AucResolutionMaxAbsDiff);

/// <summary>
/// Recomputes the audit's per-group numbers on pooled predictions with the ordinary metric code
/// (<see cref="ClassificationMetrics"/>), to show that the federated counts lose nothing.
/// </summary>
public static class PooledFairnessCheck
{
    /// <summary>Compares <paramref name="report"/> with the same metrics on the pooled records.</summary>
    /// <param name="audit">The audit.</param>
    /// <param name="report">The federated report.</param>
    /// <param name="sites">Every site's records.</param>
    /// <returns>The largest difference.</returns>
    public static PooledCheck Compare(FairnessAudit audit, FairnessReport report, IReadOnlyList<PooledSiteRecords> sites)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(sites);
        double max = 0, aucResolution = 0;
        int compared = 0;
        for (int c = 0; c < audit.Layout.Cells.Length; c++)
        {
            FairnessCell cell = audit.Layout.Cells[c];
            List<float> p = [], y = [];
            foreach (PooledSiteRecords site in sites)
            {
                if (site.Suppressed.Contains(cell))
                {
                    continue;
                }

                for (int i = 0; i < site.Labels.Length; i++)
                {
                    if (InCell(audit, c, site, i))
                    {
                        p.Add(site.Probabilities[i]);
                        y.Add(site.Labels[i]);
                    }
                }
            }

            GroupFairness federated = report.Groups[c];
            compared++;
            max = Math.Max(max, Math.Abs(federated.N - p.Count));
            if (p.Count == 0)
            {
                continue;
            }

            float[] probabilities = [.. p], labels = [.. y];
            float[] quantised = [.. probabilities.Select(v => (float)((double)FairnessCountLayout.Level(v) / FairnessCountLayout.ScoreLevels))];
            double auc = ClassificationMetrics.RocAuc(quantised, labels);
            double tp = 0, fp = 0, pos = 0;
            for (int i = 0; i < labels.Length; i++)
            {
                bool predicted = probabilities[i] > audit.Threshold;
                pos += labels[i];
                tp += predicted && labels[i] == 1f ? 1 : 0;
                fp += predicted && labels[i] == 0f ? 1 : 0;
            }

            double[] pooled =
            [
                ClassificationMetrics.Accuracy(probabilities, labels, audit.Threshold),
                pos == 0 ? double.NaN : tp / pos,
                pos == labels.Length ? double.NaN : fp / (labels.Length - pos),
                (tp + fp) / labels.Length,
                auc,
                ClassificationMetrics.Calibration(quantised, labels, FairnessCountLayout.CalibrationBins).ExpectedCalibrationError,
            ];
            double[] fromCounts =
            [
                federated.Accuracy.Value, federated.Tpr.Value, federated.Fpr.Value, federated.PositiveRate.Value, federated.Auc.Value, federated.CalibrationError,
            ];
            for (int m = 0; m < pooled.Length; m++)
            {
                compared++;
                // Both undefined (e.g. no positives) is agreement; one undefined is the largest possible disagreement.
                max = Math.Max(max, double.IsNaN(pooled[m]) && double.IsNaN(fromCounts[m]) ? 0
                    : double.IsNaN(pooled[m]) || double.IsNaN(fromCounts[m]) ? double.PositiveInfinity
                    : Math.Abs(pooled[m] - fromCounts[m]));
            }

            if (!double.IsNaN(auc))
            {
                aucResolution = Math.Max(aucResolution, Math.Abs(auc - ClassificationMetrics.RocAuc(probabilities, labels)));
            }
        }

        return new PooledCheck(max, compared, aucResolution);
    }

    private static bool InCell(FairnessAudit audit, int cell, PooledSiteRecords site, int record)
    {
        FairnessCell target = audit.Layout.Cells[cell];
        if (target.Attribute == FairnessAudit.SiteAttribute)
        {
            return target.Group == site.Site;
        }

        int a = audit.Attributes.IndexOf(audit.Attributes.Single(x => x.Name == target.Attribute));
        return audit.Attributes[a].Groups[site.Groups[a][record]].Name == target.Group;
    }
}
