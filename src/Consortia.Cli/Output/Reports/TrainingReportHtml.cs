using System.Globalization;
using System.Text;
using Consortia.Dashboard.Charts;
using Consortia.Federation.Engine;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Learning.Metrics;

namespace Consortia.Cli.Output.Reports;

/// <summary>
/// Renders a <see cref="TrainingReport"/> as one self-contained HTML file: inline CSS and inline SVG charts, no script,
/// no external reference, so it can be mailed to a colleague and opened offline.
/// </summary>
internal static class TrainingReportHtml
{
    private static readonly CultureInfo s_c = CultureInfo.InvariantCulture;

    public static string Render(TrainingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        StringBuilder h = new();
        string name = E(report.Job.Name);
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(name).Append(" — training report</title>");
        h.Append("<style>body{font-family:sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}")
            .Append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}.charts{display:flex;flex-wrap:wrap;gap:12px}")
            .Append(".warn{background:#fff3cd;border:1px solid #e0c060;padding:.5em 1em}.note{color:#555}</style></head><body>\n");
        h.Append(s_c, $"<h1>{name}: training report</h1>\n<p class=\"note\">{E(report.Origin)}. Model: {E(report.Model)}.</p>\n");
        Table(h, ["", ""], [["consortium", report.Job.Consortium], ["owner", report.Job.Owner], ["purpose", report.Job.Purpose ?? "not stated"], .. JobFacts.Training(report.Job).Select(r => new[] { r.Name, r.Value })], header: false);
        if (report.Warnings.Count > 0)
        {
            h.Append("<div class=\"warn\"><h2>Privacy warnings</h2><ul>");
            foreach (string w in report.Warnings)
            {
                h.Append("<li>").Append(E(w)).Append("</li>");
            }

            h.Append("</ul></div>\n");
        }

        h.Append("<h2>Protections in force</h2>\n");
        Table(h, ["protection", "state"], [.. JobFacts.Protections(report.Job, report.Simulated).Select(r => new[] { r.Name, r.Value })]);

        LearningCurves(h, report);
        FinalMetrics(h, report);
        if (report.Predictions.Count > 0)
        {
            RocAndCalibration(h, report.Predictions);
        }
        else
        {
            h.Append("<h2>ROC and calibration</h2><p class=\"note\">")
                .Append(report.Simulated ? "Not applicable: a survival model is ranked by its C-index, not thresholded." : "Not available: the test sets' predictions stay at the sites; the coordinator holds only aggregated metrics.")
                .Append("</p>\n");
        }

        PrivacyAccounting(h, report);
        Rounds(h, report.Rounds);
        h.Append("</body></html>\n");
        return h.ToString();
    }

    private static void LearningCurves(StringBuilder h, TrainingReport report)
    {
        h.Append("<h2>Learning curves</h2>\n<div class=\"charts\">");
        h.Append(SvgChart.Lines("Training loss (example-weighted mean)", "round", "loss",
            [new ChartSeries("all sites", [.. report.Rounds.Select(r => ((double)r.Round.Value, r.TrainLoss))], Emphasis: true)]));
        MetricKind[] kinds = [.. report.Rounds.Select(r => r.Evaluation).OfType<MetricSummary>().SelectMany(e => e.Mean.Select(m => m.Kind)).Distinct()];
        string[] sites = [.. report.Rounds.Select(r => r.Evaluation).OfType<MetricSummary>().SelectMany(e => e.Sites.Select(s => s.Site.Value)).Distinct()];
        foreach (MetricKind kind in kinds)
        {
            List<ChartSeries> series = [.. sites.Select(site => new ChartSeries(site, [.. report.Rounds
                .Where(r => r.Evaluation is not null)
                .SelectMany(r => r.Evaluation!.Sites.Where(s => s.Site.Value == site).SelectMany(s => s.Metrics.Where(m => m.Kind == kind)).Select(m => ((double)r.Round.Value, m.Value)))]))]; // Evaluation checked in the Where
            series.Add(new ChartSeries("mean over sites", [.. report.Rounds.Where(r => r.Evaluation is not null)
                .SelectMany(r => r.Evaluation!.Mean.Where(m => m.Kind == kind).Select(m => ((double)r.Round.Value, m.Value)))], Emphasis: true));
            h.Append(SvgChart.Lines($"Test {kind.ReportName()} per site", "round", kind.ReportName(), series));
        }

        h.Append("</div>\n");
        if (kinds.Length == 0)
        {
            h.Append("<p class=\"note\">No round was evaluated.</p>\n");
        }
    }

    private static void FinalMetrics(StringBuilder h, TrainingReport report)
    {
        h.Append("<h2>Final model: test metrics per site</h2>\n");
        if (report.Final is not { } final)
        {
            h.Append("<p class=\"note\">The final model was not evaluated.</p>\n");
            return;
        }

        if (final.Mean.Count == 0)
        {
            // Every site refused or suppressed its metrics (e.g. a spent privacy budget): there is nothing to plot.
            h.Append("<p class=\"note\">No site released a test metric for the final model.</p>\n");
            return;
        }

        SummaryTable(h, final);
        string[] sites = [.. final.Sites.Select(s => s.Site.Value)];
        List<(string, double[])> bars = [("federated", Values(final, sites, final.Mean[0].Kind))];
        bars.AddRange(report.Baselines.Select(b => (b.Name, Values(b.Evaluation, sites, final.Mean[0].Kind))));
        MetricKind headline = final.Mean[0].Kind;
        double top = Math.Max(1, bars.SelectMany(b => b.Item2).Where(double.IsFinite).DefaultIfEmpty(1).Max());
        h.Append("<div class=\"charts\">").Append(SvgChart.Bars($"Final {headline.ReportName()} per site{(report.Baselines.Count > 0 ? ", against the baselines" : "")}", headline.ReportName(), sites, bars, 0, top)).Append("</div>\n");
        if (report.Baselines.Count > 0)
        {
            h.Append("<h2>Baselines</h2>\n<p class=\"note\">Non-federated references on the same test sets: a model per site trained on its data only (local), and one trained on all data pooled.</p>\n");
            foreach (Federation.Simulation.BaselineResult b in report.Baselines)
            {
                h.Append("<h3>").Append(E(b.Name)).Append("</h3>\n");
                SummaryTable(h, b.Evaluation);
            }
        }
    }

    private static double[] Values(MetricSummary summary, string[] sites, MetricKind kind) =>
        [.. sites.Select(site => summary.Sites.Where(s => s.Site.Value == site).SelectMany(s => s.Metrics).Where(m => m.Kind == kind).Select(m => m.Value).DefaultIfEmpty(double.NaN).First())];

    private static void SummaryTable(StringBuilder h, MetricSummary summary)
    {
        string[] names = [.. summary.Mean.Select(m => m.Kind.ReportName())];
        List<string[]> rows = [.. summary.Sites.Select(s => new[] { s.Site.Value, s.Examples.ToString(s_c) }.Concat(s.Metrics.Select(m => F(m.Value))).ToArray())];
        rows.Add(["mean over sites", "", .. summary.Mean.Select(m => F(m.Value))]);
        rows.Add(["weighted by examples", "", .. summary.Weighted.Select(m => F(m.Value))]);
        Table(h, ["site", "test examples", .. names], rows);
    }

    private static void RocAndCalibration(StringBuilder h, IReadOnlyList<SitePredictions> predictions)
    {
        SitePredictions pooled = new("all sites", [.. predictions.SelectMany(p => p.Scores)], [.. predictions.SelectMany(p => p.Labels)]);
        List<ChartSeries> roc = [.. predictions.Select(p => new ChartSeries(p.Site, Roc(p.Scores, p.Labels)))];
        roc.Add(new ChartSeries("all sites", Roc(pooled.Scores, pooled.Labels), Emphasis: true));
        List<ChartSeries> calibration = [.. predictions.Select(p => new ChartSeries(p.Site, Calibration(p)))];
        calibration.Add(new ChartSeries("all sites", Calibration(pooled), Emphasis: true));
        h.Append("<h2>ROC and calibration (final model, test sets)</h2>\n<div class=\"charts\">");
        h.Append(SvgChart.Lines("ROC curve", "false positive rate", "true positive rate", roc, (0, 1), (0, 1), diagonal: true));
        h.Append(SvgChart.Lines("Calibration (10 equal-width bins)", "mean predicted probability", "observed positive rate", calibration, (0, 1), (0, 1), diagonal: true));
        h.Append("</div>\n");
        Table(h, ["site", "ROC AUC", "expected calibration error", "maximum calibration error"], [.. predictions.Append(pooled).Select(p =>
        {
            CalibrationCurve curve = ClassificationMetrics.Calibration(p.Scores, p.Labels);
            return new[] { p.Site, p.Labels.Distinct().Count() == 2 ? F(ClassificationMetrics.RocAuc(p.Scores, p.Labels)) : "n/a (one class)", F(curve.ExpectedCalibrationError), F(curve.MaximumCalibrationError) };
        })]);
    }

    /// <summary>The ROC curve's corners: thresholds from the highest score down, tied scores taken together.</summary>
    internal static IReadOnlyList<(double X, double Y)> Roc(float[] scores, float[] labels)
    {
        int positives = labels.Count(l => l != 0f), negatives = labels.Length - positives;
        if (positives == 0 || negatives == 0)
        {
            return [];
        }

        int[] order = [.. Enumerable.Range(0, scores.Length).OrderByDescending(i => scores[i])];
        List<(double, double)> points = [(0, 0)];
        int tp = 0, fp = 0;
        for (int i = 0; i < order.Length; i++)
        {
            if (labels[order[i]] != 0f)
            {
                tp++;
            }
            else
            {
                fp++;
            }

            if (i == order.Length - 1 || scores[order[i + 1]] != scores[order[i]])
            {
                points.Add(((double)fp / negatives, (double)tp / positives));
            }
        }

        return points;
    }

    private static (double X, double Y)[] Calibration(SitePredictions p) =>
        [.. ClassificationMetrics.Calibration(p.Scores, p.Labels).Bins.Where(b => b.Count > 0).Select(b => (b.MeanPredicted ?? double.NaN, b.ObservedRate ?? double.NaN))];

    private static void PrivacyAccounting(StringBuilder h, TrainingReport report)
    {
        h.Append("<h2>Privacy accounting</h2>\n");
        if (report.ClientPrivacy is { } client && report.Job.ClientDp is { } clientDp)
        {
            h.Append(s_c, $"<p>Client-level DP-FedAvg: a site's whole contribution is protected; the job's ε is {F(client.Epsilon)} at δ {clientDp.Options.Delta} over {clientDp.TotalRounds} rounds (noise multiplier {F(client.NoiseMultiplier)}, {client.SampledSites} of {client.TotalSites} sites per round).</p>\n");
        }
        else if (report.Privacy.Count > 0)
        {
            h.Append(s_c, $"<p>Sample-level DP-SGD: each site protects each of its patients; the job's ε is the largest site's, {F(report.Privacy.Max(p => p.Epsilon))} at δ {report.Privacy[0].Delta}.</p>\n");
        }

        if (report.Privacy.Count > 0)
        {
            Table(h, ["site", "ε spent (this job)", "δ", "mechanism", "noise multiplier", "sample rate", "steps", "lifetime ε / budget"], [.. report.Privacy.Select(p => new[]
            {
                p.Site.Value, F(p.Epsilon), p.Delta.ToString(s_c), p.Mechanism, F(p.NoiseMultiplier), F(p.SampleRate), p.Steps.ToString(s_c),
                p.LifetimeEpsilon is double spent && p.LifetimeBudget is double limit ? $"{F(spent)} / {F(limit)}" : "no budget ledger",
            })]);
            string[] sites = [.. report.Privacy.Select(p => p.Site.Value)];
            h.Append("<div class=\"charts\">").Append(SvgChart.Bars("ε spent per site", "ε", sites, [("this job", [.. report.Privacy.Select(p => p.Epsilon)]), ("lifetime", [.. report.Privacy.Select(p => p.LifetimeEpsilon ?? double.NaN)]), ("lifetime budget", [.. report.Privacy.Select(p => p.LifetimeBudget ?? double.NaN)])], 0,
                Math.Max(1e-9, report.Privacy.SelectMany(p => new[] { p.Epsilon, p.LifetimeEpsilon ?? 0, p.LifetimeBudget ?? 0 }).Where(double.IsFinite).Max()))).Append("</div>\n");
        }
        else if (report.Job.Engine.Dp is null && report.Job.ClientDp is null)
        {
            h.Append("<p>No differential privacy: nothing was spent, and nothing bounds what the model or the updates reveal about a patient or a site.</p>\n");
        }
        else
        {
            h.Append("<p class=\"note\">Each site books its spend in its own budget ledger; the coordinator does not hold it (see <code>consortia privacy</code> at the sites).</p>\n");
        }
    }

    private static void Rounds(StringBuilder h, IReadOnlyList<RoundReport> rounds)
    {
        h.Append("<h2>Rounds</h2>\n");
        Table(h, ["round", "sites aggregated", "refused / failed", "training loss", "aggregated"], [.. rounds.Select(r => new[]
        {
            r.Round.Value.ToString(s_c), string.Join(", ", r.Contributors.Select(c => c.Value)),
            string.Join("; ", r.Refusals.Cast<SiteReply>().Concat(r.Failures).Select(p => $"{p.Site}: {SimulationReport.Describe(p)}")),
            F(r.TrainLoss), r.Aggregated ? "yes" : $"no{(r.AggregationFailure is { } why ? $" ({why})" : "")}",
        })]);
    }

    /// <summary>An HTML table of escaped cells (also used by the exploration report).</summary>
    internal static void Table(StringBuilder h, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows, bool header = true)
    {
        h.Append("<table>");
        if (header)
        {
            h.Append("<tr>");
            foreach (string c in columns)
            {
                h.Append("<th>").Append(E(c)).Append("</th>");
            }

            h.Append("</tr>");
        }

        foreach (IReadOnlyList<string> row in rows)
        {
            h.Append("<tr>");
            for (int i = 0; i < row.Count; i++)
            {
                string tag = !header && i == 0 ? "th" : "td";
                h.Append('<').Append(tag).Append('>').Append(E(row[i])).Append("</").Append(tag).Append('>');
            }

            h.Append("</tr>");
        }

        h.Append("</table>\n");
    }

    private static string F(double value) => SimulationReport.Format(value);

    private static string E(string text) => SvgChart.Escape(text);
}
