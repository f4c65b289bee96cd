using System.Globalization;
using System.Text;
using Consortia.Cli.Output.Reports;
using Consortia.Dashboard.Charts;
using Consortia.Federation.Exploration;

namespace Consortia.Cli.Output.Exploration;

/// <summary>Renders an <see cref="ExplorationReport"/> as one self-contained HTML page: tables and inline SVG histograms, nothing fetched.</summary>
internal static class ExplorationHtml
{
    private static readonly CultureInfo s_c = CultureInfo.InvariantCulture;

    public static string Render(ExplorationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        StringBuilder h = new();
        string name = E(report.Job);
        h.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(name).Append(" — data exploration</title>");
        h.Append("<style>body{font-family:sans-serif;max-width:1180px;margin:2em auto;padding:0 1em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}")
            .Append("td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}th{background:#f3f3f3}")
            .Append(".warn{background:#fff3cd;border:1px solid #e0c060;padding:.5em 1em}.note{color:#555}</style></head><body>\n");
        h.Append(s_c, $"<h1>{name}: federated data exploration</h1>\n<p class=\"note\">Computed at the sites on the original scale (before any standardisation). ");
        h.Append(report.SecureAggregation
            ? "Combined figures are the sum of the sites' released counts, obtained through a secure-aggregation round (the coordinator saw the sum only). "
            : "Combined figures are the sum of the sites' released counts (no secure aggregation in this job). ");
        h.Append("Every count below a site's minimum cell count was replaced by 0 at the site, before it left.</p>\n");

        h.Append("<h2>Sites</h2>\n");
        TrainingReportHtml.Table(h, ["site", "in the combined figures", "own figures released", "minimum cell count", "note"], [.. report.Sites.Select(s => new[]
        {
            s.Site, s.Contributed ? "yes" : "no", s.Released ? "yes" : "no", s.MinCellCount?.ToString(s_c) ?? "–", s.Reason ?? "",
        })]);

        h.Append("<h2>Warnings</h2>\n");
        if (report.Warnings.Count == 0)
        {
            h.Append("<p>None.</p>\n");
        }
        else
        {
            h.Append("<div class=\"warn\"><ul>");
            foreach (ExplorationWarning w in report.Warnings)
            {
                h.Append("<li>").Append(E(w.Message)).Append("</li>");
            }

            h.Append("</ul></div>\n");
        }

        h.Append("<h2>Label balance</h2>\n");
        TrainingReportHtml.Table(h, ["", "positive", "negative", "missing", "minority share"], [.. report.Sites
            .Select((s, i) => (s.Site, Labels: report.SiteLabels[i]))
            .Where(x => x.Labels is not null)
            .Select(x => LabelRow(x.Site, x.Labels!)) // Filtered to released sites just above.
            .Append(LabelRow("combined", report.CombinedLabels))]);

        foreach (FeatureExploration feature in report.Features)
        {
            h.Append(s_c, $"<h2>{E(feature.Name)}</h2>\n<p class=\"note\">Histogram grid [{F(feature.Grid.Lower)}, {F(feature.Grid.Upper)}] in {feature.Grid.Bins} bins: quantiles are accurate to one bin width, {F(feature.Grid.Width)}.</p>\n");
            TrainingReportHtml.Table(h, ["", "values", "missing", "zeros", "mean", "sd", "p5", "p25", "median", "p75", "p95", "withheld cells"], [.. report.Sites
                .Select((s, i) => (s.Site, Figures: feature.Sites[i]))
                .Where(x => x.Figures is not null)
                .Select(x => FeatureRow(x.Site, x.Figures!)) // Filtered to released sites just above.
                .Append(FeatureRow("combined", feature.Combined))]);
            List<ChartSeries> series = [.. report.Sites
                .Select((s, i) => (s.Site, Figures: feature.Sites[i]))
                .Where(x => x.Figures is not null)
                .Select(x => Shares(x.Site, x.Figures!, feature.Grid, emphasis: false))];
            series.Add(Shares("combined", feature.Combined, feature.Grid, emphasis: true));
            h.Append(SvgChart.Lines($"{feature.Name}: share of values per bin", feature.Name, "share of values", series)).Append('\n');
        }

        return h.Append("</body></html>\n").ToString();
    }

    private static string[] LabelRow(string site, LabelFigures l) =>
        [site, l.Positive.ToString(s_c), l.Negative.ToString(s_c), l.Missing.ToString(s_c), l.MinorityShare?.ToString("P1", s_c) ?? "–"];

    private static string[] FeatureRow(string site, FeatureFigures f)
    {
        string Q(double p) => f.Quantiles.FirstOrDefault(q => q.Probability == p) is { } q ? F(q.Value) : "–";
        return [site, f.Count.ToString(s_c), f.Missing.ToString(s_c), f.Zeros.ToString(s_c), f.Mean is { } m ? F(m) : "–", f.StandardDeviation is { } sd ? F(sd) : "–",
            Q(0.05), Q(0.25), Q(0.5), Q(0.75), Q(0.95), f.SuppressedCells.ToString(s_c)];
    }

    /// <summary>A histogram as shares per bin (sites of different sizes on one scale), drawn at the bin centres.</summary>
    private static ChartSeries Shares(string name, FeatureFigures f, FeatureGrid grid, bool emphasis)
    {
        long total = f.Histogram.Sum();
        return new ChartSeries(name, [.. f.Histogram.Select((c, b) => (grid.Edge(b) + (grid.Width / 2), total == 0 ? double.NaN : c / (double)total))], emphasis);
    }

    private static string F(double value) => value.ToString("G4", s_c);

    private static string E(string text) => SvgChart.Escape(text);
}
