using System.Text;
using Consortia.Assurance.Fairness;
using Consortia.Dashboard.Charts;

namespace Consortia.Cli.Output.Reports;

/// <summary>
/// The report's "Fairness across patient groups" section and its count-based ROC and calibration plots, drawn from a
/// fairness audit (<see cref="FairnessFacts"/>): per-group figures with 95 % intervals, the gaps, and charts.
/// </summary>
internal static class FairnessHtml
{
    /// <summary>The section's heading (tests look for it).</summary>
    public const string Heading = "Fairness across patient groups";

    /// <summary>Appends the section.</summary>
    /// <param name="h">The report.</param>
    /// <param name="facts">The audit.</param>
    /// <param name="jobSites">The sites the job's rounds name (empty when unknown): an audit of other sites is flagged, since a file given with <c>--fairness</c> may belong to another job.</param>
    public static void Section(StringBuilder h, FairnessFacts facts, IReadOnlyCollection<string> jobSites)
    {
        ArgumentNullException.ThrowIfNull(h);
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(jobSites);
        h.Append("<h2>").Append(Heading).Append("</h2>\n");
        if (facts.NotRun is { } reason)
        {
            h.Append("<p class=\"note\">The job declares fairness groups, but no audit was run: ").Append(E(reason)).Append(".</p>\n");
            return;
        }

        string[] audited = [.. (facts.Classification?.Groups.Select(g => (g.Attribute, g.Group)) ?? facts.Survival?.Groups.Select(g => (g.Attribute, g.Group)) ?? [])
            .Where(g => g.Attribute == FairnessAudit.SiteAttribute).Select(g => g.Group)];
        string[] foreign = [.. audited.Where(s => !jobSites.Contains(s))];
        if (jobSites.Count > 0 && foreign.Length > 0)
        {
            h.Append("<p class=\"warn\">This audit names sites the job's rounds do not (").Append(E(string.Join(", ", foreign)))
                .Append("; the job's: ").Append(E(string.Join(", ", jobSites))).Append("): it may be another job's audit.</p>\n");
        }

        h.Append("<p class=\"note\">From the fairness audit of the final model (").Append(E(facts.Source)).Append(
            "): each site computed per-group counts on its test set and sent only those (through secure aggregation when the job uses it); "
            + "a site withholds a group smaller than its policy's minimum cell count. The site is always one of the attributes. "
            + "Brackets are 95 % intervals: Wilson for rates, Hanley–McNeil for AUC and C-index, delta method for the calibration error; "
            + "a gap is the largest minus the smallest group, with the interval of that difference.</p>\n");
        if (facts.Classification is { } report)
        {
            Classification(h, report);
        }
        else if (facts.Survival is { } survival)
        {
            Survival(h, survival);
        }

        if (facts.Withheld.Any(w => w.Cells.Count > 0))
        {
            h.Append("<p>Withheld at the sites (below the minimum cell count; not in any figure above): ")
                .Append(E(string.Join("; ", facts.Withheld.Where(w => w.Cells.Count > 0).Select(w => $"{w.Site}: {string.Join(", ", w.Cells)}")))).Append(".</p>\n");
        }
        else
        {
            h.Append("<p class=\"note\">No site withheld a group.</p>\n");
        }

        if (facts.PooledMaxAbsDiff is double check)
        {
            h.Append("<p class=\"note\">Pooled check (simulation only): the largest difference between these figures and the same ones computed on the pooled predictions is ")
                .Append(E(check.ToString("E2", System.Globalization.CultureInfo.InvariantCulture))).Append(".</p>\n");
        }
    }

    /// <summary>The ROC curves and calibration per site and for all sites, from the audit's counts (what a deployment can show).</summary>
    public static void RocAndCalibrationFromCounts(StringBuilder h, FairnessReport report)
    {
        ArgumentNullException.ThrowIfNull(h);
        ArgumentNullException.ThrowIfNull(report);
        GroupFairness[] sites = [.. report.Groups.Where(g => g.Attribute == FairnessAudit.SiteAttribute && g.N > 0)];
        h.Append("<h2>ROC and calibration (final model, test sets, from the fairness audit's counts)</h2>\n")
            .Append("<p class=\"note\">No prediction left a site: each site's histogram of scores (at 1/1024 resolution) and labels gives these curves exactly as pooled predictions rounded to that resolution would.</p>\n");
        Curves(h, "site", sites, report.Overall);
        TrainingReportHtml.Table(h, ["site", "n", "ROC AUC", "expected calibration error"], [.. sites.Append(report.Overall).OfType<GroupFairness>().Select(g => new[]
        {
            g.Group, g.N.ToString(System.Globalization.CultureInfo.InvariantCulture), Ci(g.Auc), Ci(g.Curves?.CalibrationError ?? new Interval(g.CalibrationError, double.NaN, double.NaN)),
        })]);
    }

    private static void Classification(StringBuilder h, FairnessReport report)
    {
        foreach (string attribute in report.Gaps.Select(g => g.Attribute))
        {
            GroupFairness[] groups = [.. report.Groups.Where(g => g.Attribute == attribute)];
            GroupFairness[] released = [.. groups.Where(g => g.N > 0)];
            h.Append("<h3>By ").Append(E(attribute)).Append("</h3>\n");
            TrainingReportHtml.Table(h, ["group", "n", "positives", "sites", "accuracy", "TPR", "FPR", "AUC", "calibration error"], [.. groups.Select(g => new[]
            {
                g.Group, g.N.ToString(System.Globalization.CultureInfo.InvariantCulture), g.Positives.ToString(System.Globalization.CultureInfo.InvariantCulture),
                g.Sites.ToString(System.Globalization.CultureInfo.InvariantCulture), Ci(g.Accuracy), Ci(g.Tpr), Ci(g.Fpr), Ci(g.Auc),
                Ci(g.Curves?.CalibrationError ?? new Interval(g.CalibrationError, double.NaN, double.NaN)),
            })]);
            h.Append("<div class=\"charts\">");
            if (released.Length > 0)
            {
                h.Append(SvgChart.Bars($"By {attribute}: accuracy, TPR, FPR and AUC", "rate", [.. released.Select(g => g.Group)],
                [
                    ("accuracy", [.. released.Select(g => g.Accuracy.Value)]), ("TPR", [.. released.Select(g => g.Tpr.Value)]),
                    ("FPR", [.. released.Select(g => g.Fpr.Value)]), ("AUC", [.. released.Select(g => g.Auc.Value)]),
                ], 0, 1));
            }

            h.Append("</div>\n");
            Curves(h, attribute, released, report.Overall);
        }

        h.Append("<h3>Gaps between groups</h3>\n");
        TrainingReportHtml.Table(h, ["attribute", "gap", "value (95 % CI)", "between"], [.. report.Gaps.SelectMany(a => a.Gaps.Select(g => new[]
        {
            a.Attribute, GapName(g.Metric), Ci(g.Gap), g.High.Length == 0 ? "fewer than two groups" : $"{g.High} − {g.Low}",
        }))]);
    }

    private static void Curves(StringBuilder h, string attribute, GroupFairness[] groups, GroupFairness? overall)
    {
        GroupFairness[] drawn = [.. groups.Where(g => g.Curves is not null)];
        if (drawn.Length == 0)
        {
            return; // a file written before the audit carried curves
        }

        List<ChartSeries> roc = [.. drawn.Select(g => new ChartSeries(g.Group, RocLine(g.Curves!)))];
        List<ChartSeries> calibration = [.. drawn.Select(g => new ChartSeries(g.Group, CalibrationLine(g.Curves!)))];
        if (overall?.Curves is { } all)
        {
            roc.Add(new ChartSeries("all", RocLine(all), Emphasis: true));
            calibration.Add(new ChartSeries("all", CalibrationLine(all), Emphasis: true));
        }

        h.Append("<div class=\"charts\">")
            .Append(SvgChart.Lines($"ROC curve by {attribute} (from counts)", "false positive rate", "true positive rate", roc, (0, 1), (0, 1), diagonal: true))
            .Append(SvgChart.Lines($"Calibration by {attribute} (10 bins, from counts)", "mean predicted probability", "observed positive rate", calibration, (0, 1), (0, 1), diagonal: true))
            .Append("</div>\n");
    }

    private static (double X, double Y)[] RocLine(GroupCurves curves) => [.. curves.Roc.Select(p => (p.Fpr, p.Tpr))];

    private static (double X, double Y)[] CalibrationLine(GroupCurves curves) =>
        [.. curves.Calibration.Where(b => b.N > 0).Select(b => (b.MeanPredicted, b.ObservedRate.Value))];

    private static void Survival(StringBuilder h, SurvivalFairnessReport report)
    {
        h.Append("<p class=\"note\">A Cox model gives risk scores, not probabilities: each group is measured by Harrell's C-index over its comparable pairs within sites. There is no threshold, so no accuracy, TPR, FPR, ROC or calibration.</p>\n");
        foreach (string attribute in report.Gaps.Select(g => g.Attribute))
        {
            SurvivalGroupFairness[] groups = [.. report.Groups.Where(g => g.Attribute == attribute)];
            SurvivalGroupFairness[] defined = [.. groups.Where(g => double.IsFinite(g.CIndex.Value))];
            h.Append("<h3>By ").Append(E(attribute)).Append("</h3>\n");
            TrainingReportHtml.Table(h, ["group", "n", "events", "sites", "comparable pairs", "C-index"], [.. groups.Select(g => new[]
            {
                g.Group, g.N.ToString(System.Globalization.CultureInfo.InvariantCulture), g.Events.ToString(System.Globalization.CultureInfo.InvariantCulture),
                g.Sites.ToString(System.Globalization.CultureInfo.InvariantCulture), g.ComparablePairs.ToString(System.Globalization.CultureInfo.InvariantCulture), Ci(g.CIndex),
            })]);
            if (defined.Length > 0)
            {
                h.Append("<div class=\"charts\">")
                    .Append(SvgChart.Bars($"C-index by {attribute}", "C-index", [.. defined.Select(g => g.Group)], [("C-index", [.. defined.Select(g => g.CIndex.Value)])], 0, 1))
                    .Append("</div>\n");
            }
        }

        h.Append("<h3>Gaps between groups</h3>\n");
        TrainingReportHtml.Table(h, ["attribute", "gap", "value (95 % CI)", "between"], [.. report.Gaps.SelectMany(a => a.Gaps.Select(g => new[]
        {
            a.Attribute, GapName(g.Metric), Ci(g.Gap), g.High.Length == 0 ? "fewer than two groups" : $"{g.High} − {g.Low}",
        }))]);
    }

    /// <summary>The gap's name as a reader knows it.</summary>
    internal static string GapName(string metric) => metric switch
    {
        "equalised_odds" => "equalised odds (larger of the TPR and FPR gaps)",
        "demographic_parity" => "demographic parity (positive-rate gap)",
        "c_index" => "C-index",
        "tpr" or "fpr" or "auc" => metric.ToUpperInvariant(),
        _ => metric.Replace('_', ' '),
    };

    /// <summary>"0.8123 [0.7500, 0.8600]", the estimate alone when it has no interval, "n/a" when undefined.</summary>
    internal static string Ci(Interval i) =>
        !double.IsFinite(i.Value) ? "n/a"
        : double.IsFinite(i.Lower) && double.IsFinite(i.Upper) ? $"{F(i.Value)} [{F(i.Lower)}, {F(i.Upper)}]"
        : F(i.Value);

    private static string F(double value) => SimulationReport.Format(value);

    private static string E(string text) => SvgChart.Escape(text);
}
