using System.Globalization;
using System.Net;
using System.Text;

namespace Consortia.Dashboard.Charts;

/// <summary>One line of a chart: its legend name and points (non-finite points are left out, breaking nothing).</summary>
/// <param name="Name">The legend text.</param>
/// <param name="Points">The points in drawing order.</param>
/// <param name="Emphasis">Drawn thicker (the global curve among per-site ones).</param>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points, bool Emphasis = false);

/// <summary>
/// Renders small charts as inline SVG strings, so a report is one self-contained file: no script, no font or
/// stylesheet fetched, nothing for a browser to load (and the output is plain text that tests can read).
/// </summary>
/// <remarks>
/// Used by the dashboard's pages and by the CLI's HTML reports. Colours are SVG presentation attributes, never
/// <c>style</c> attributes, so the charts render under a Content-Security-Policy that forbids inline styles. Every
/// text taken from the caller (titles, axis labels, series and category names) is HTML-escaped. Pure: the same
/// input gives the same string (invariant culture).
/// </remarks>
public static class SvgChart
{
    private static readonly double[] s_steps = [1, 2, 5];
    private const int Width = 560, Height = 340, Left = 62, Right = 150, Top = 34, Bottom = 48;
    private static readonly string[] s_palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
    private static readonly CultureInfo s_c = CultureInfo.InvariantCulture;

    /// <summary>A line chart; with <paramref name="diagonal"/> the dashed line y = x (chance for ROC, perfect calibration).</summary>
    /// <param name="title">The chart's title.</param>
    /// <param name="xLabel">The x axis label.</param>
    /// <param name="yLabel">The y axis label.</param>
    /// <param name="series">The lines, one legend entry each, in drawing order.</param>
    /// <param name="xRange">The x range; <see langword="null"/> for the data's range, widened a little.</param>
    /// <param name="yRange">The y range; <see langword="null"/> for the data's range, widened a little.</param>
    /// <param name="diagonal">Whether to draw the dashed line y = x.</param>
    /// <returns>One <c>&lt;svg&gt;</c> element; each series is a <c>&lt;polyline&gt;</c> in series order.</returns>
    public static string Lines(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, (double Min, double Max)? xRange = null, (double Min, double Max)? yRange = null, bool diagonal = false)
    {
        ArgumentNullException.ThrowIfNull(series);
        (double X, double Y)[] all = [.. series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y))];
        (double x0, double x1) = xRange ?? Span(all.Select(p => p.X));
        (double y0, double y1) = yRange ?? Span(all.Select(p => p.Y));
        bool wholeX = all.Length > 0 && all.All(p => p.X == Math.Round(p.X)); // rounds: no tick at round 4.15
        StringBuilder svg = Open(title, xLabel, yLabel, x0, x1, y0, y1, wholeX: wholeX);
        if (all.Length == 0)
        {
            svg.Append(s_c, $"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\" fill=\"#777\">no values to draw</text>");
        }

        if (diagonal)
        {
            svg.Append(s_c, $"<line x1=\"{X(x0, x0, x1):F1}\" y1=\"{Y(y0, y0, y1):F1}\" x2=\"{X(x1, x0, x1):F1}\" y2=\"{Y(y1, y0, y1):F1}\" stroke=\"#999\" stroke-dasharray=\"4 4\"/>");
        }

        for (int i = 0; i < series.Count; i++)
        {
            string colour = s_palette[i % s_palette.Length];
            (double X, double Y)[] points = [.. series[i].Points.Where(p => double.IsFinite(p.X) && double.IsFinite(p.Y))];
            if (points.Length > 0)
            {
                string path = string.Join(" ", points.Select(p => string.Create(s_c, $"{X(p.X, x0, x1):F1},{Y(p.Y, y0, y1):F1}")));
                svg.Append(s_c, $"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"{(series[i].Emphasis ? 3 : 1.5)}\" points=\"{path}\"/>");
                if (points.Length <= 30)
                {
                    foreach ((double x, double y) in points)
                    {
                        svg.Append(s_c, $"<circle cx=\"{X(x, x0, x1):F1}\" cy=\"{Y(y, y0, y1):F1}\" r=\"2.5\" fill=\"{colour}\"/>");
                    }
                }
            }

            Legend(svg, i, series[i].Name, colour);
        }

        return svg.Append("</svg>").ToString();
    }

    /// <summary>Grouped bars: one group per category, one bar per series (values in [<paramref name="yMin"/>, <paramref name="yMax"/>]).</summary>
    /// <param name="title">The chart's title.</param>
    /// <param name="yLabel">The y axis label.</param>
    /// <param name="categories">The groups along the x axis.</param>
    /// <param name="series">The bars of each group: a legend name and one value per category (non-finite values are left out).</param>
    /// <param name="yMin">The bottom of the y axis (values below are drawn at it).</param>
    /// <param name="yMax">The top of the y axis (values above are drawn at it).</param>
    /// <returns>One <c>&lt;svg&gt;</c> element; each bar is a <c>&lt;rect&gt;</c> whose <c>&lt;title&gt;</c> names series, category and value.</returns>
    public static string Bars(string title, string yLabel, IReadOnlyList<string> categories, IReadOnlyList<(string Name, double[] Values)> series, double yMin, double yMax)
    {
        ArgumentNullException.ThrowIfNull(categories);
        ArgumentNullException.ThrowIfNull(series);
        StringBuilder svg = Open(title, "", yLabel, 0, categories.Count, yMin, yMax, categoryAxis: categories);
        double slot = (Width - Left - Right) / (double)Math.Max(1, categories.Count);
        double bar = slot * 0.8 / Math.Max(1, series.Count);
        for (int s = 0; s < series.Count; s++)
        {
            string colour = s_palette[s % s_palette.Length];
            for (int c = 0; c < categories.Count; c++)
            {
                double v = series[s].Values[c];
                if (!double.IsFinite(v))
                {
                    continue;
                }

                double top = Y(Math.Clamp(v, yMin, yMax), yMin, yMax), baseLine = Y(yMin, yMin, yMax);
                svg.Append(s_c, $"<rect x=\"{Left + (c * slot) + (slot * 0.1) + (s * bar):F1}\" y=\"{top:F1}\" width=\"{bar - 1:F1}\" height=\"{baseLine - top:F1}\" fill=\"{colour}\"><title>{Escape(series[s].Name)} {Escape(categories[c])}: {v.ToString("F4", s_c)}</title></rect>");
            }

            Legend(svg, s, series[s].Name, colour);
        }

        return svg.Append("</svg>").ToString();
    }

    private static StringBuilder Open(string title, string xLabel, string yLabel, double x0, double x1, double y0, double y1, IReadOnlyList<string>? categoryAxis = null, bool wholeX = false)
    {
        StringBuilder svg = new();
        svg.Append(s_c, $"<svg viewBox=\"0 0 {Width} {Height}\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"{Escape(title)}\" font-family=\"sans-serif\" font-size=\"11\">");
        svg.Append(s_c, $"<text x=\"{Width / 2}\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{Escape(title)}</text>");
        svg.Append(s_c, $"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Width - Left - Right}\" height=\"{Height - Top - Bottom}\" fill=\"none\" stroke=\"#444\"/>");
        foreach (double v in NiceTicks(y0, y1, wholeNumbers: false))
        {
            double y = Y(v, y0, y1);
            svg.Append(s_c, $"<line x1=\"{Left}\" y1=\"{y:F1}\" x2=\"{Width - Right}\" y2=\"{y:F1}\" stroke=\"#eee\"/><text x=\"{Left - 4}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{Tick(v)}</text>");
        }

        if (categoryAxis is null)
        {
            foreach (double v in NiceTicks(x0, x1, wholeNumbers: wholeX))
            {
                svg.Append(s_c, $"<text x=\"{X(v, x0, x1):F1}\" y=\"{Height - Bottom + 14}\" text-anchor=\"middle\">{Tick(v)}</text>");
            }
        }
        else
        {
            double slot = (Width - Left - Right) / (double)Math.Max(1, categoryAxis.Count);
            for (int c = 0; c < categoryAxis.Count; c++)
            {
                svg.Append(s_c, $"<text x=\"{Left + (slot * (c + 0.5)):F1}\" y=\"{Height - Bottom + 14}\" text-anchor=\"middle\">{Escape(categoryAxis[c])}</text>");
            }
        }

        svg.Append(s_c, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 10}\" text-anchor=\"middle\">{Escape(xLabel)}</text>");
        svg.Append(s_c, $"<text x=\"14\" y=\"{(Top + Height - Bottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 14 {(Top + Height - Bottom) / 2})\">{Escape(yLabel)}</text>");
        return svg;
    }

    private static void Legend(StringBuilder svg, int index, string name, string colour)
    {
        int y = Top + 8 + (index * 16);
        svg.Append(s_c, $"<rect x=\"{Width - Right + 10}\" y=\"{y - 8}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{Width - Right + 24}\" y=\"{y + 1}\">{Escape(name)}</text>");
    }

    /// <summary>The data's range, widened a little (and made non-empty) so lines do not run along the frame.</summary>
    private static (double, double) Span(IEnumerable<double> values)
    {
        double[] v = [.. values];
        if (v.Length == 0)
        {
            return (0, 1);
        }

        double min = v.Min(), max = v.Max();
        double pad = max > min ? (max - min) * 0.05 : Math.Max(Math.Abs(max) * 0.1, 0.5);
        return (min - pad, max + pad);
    }

    private static double X(double v, double min, double max) => Left + ((v - min) / (max - min) * (Width - Left - Right));

    private static double Y(double v, double min, double max) => Height - Bottom - ((v - min) / (max - min) * (Height - Top - Bottom));

    /// <summary>Axis ticks at round steps (1, 2 or 5 × 10^k) inside [<paramref name="min"/>, <paramref name="max"/>], four to ten of them; whole numbers only when asked.</summary>
    internal static IReadOnlyList<double> NiceTicks(double min, double max, bool wholeNumbers)
    {
        if (!(max > min) || !double.IsFinite(min) || !double.IsFinite(max))
        {
            return [min];
        }

        // The largest round step (1, 2 or 5 × 10^k) that still gives at least four ticks: 0.46–0.56 gets 0.46, 0.48 … 0.56.
        double rough = (max - min) / 4;
        double magnitude = Math.Pow(10, Math.Floor(Math.Log10(rough)));
        double step = s_steps.Select(m => m * magnitude).Last(c => c <= rough);
        if (wholeNumbers)
        {
            step = Math.Max(1, Math.Round(step));
        }

        List<double> ticks = [];
        for (double v = Math.Ceiling(min / step) * step; v <= max + (step * 1e-9); v += step)
        {
            ticks.Add(Math.Abs(v) < step * 1e-9 ? 0 : v); // no "-0"
        }

        return ticks;
    }

    private static string Tick(double v) => Math.Abs(v) >= 100 ? v.ToString("F0", s_c) : v.ToString("0.###", s_c);

    /// <summary>Text for SVG/HTML content and attributes (site and job names come from files, so they are escaped).</summary>
    /// <param name="text">The text.</param>
    /// <returns>The text with HTML's special characters (including quotes) as entities.</returns>
    public static string Escape(string text) => WebUtility.HtmlEncode(text);
}
