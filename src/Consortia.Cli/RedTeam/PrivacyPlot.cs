using System.Globalization;
using System.Text;

namespace Consortia.Cli.RedTeam;

/// <summary>The privacy red-team plot as a self-contained SVG: utility and membership AUC per ε (left), reconstruction errors on a log scale (right).</summary>
internal static class PrivacyPlot
{
    private const int PanelWidth = 360, Height = 300, Margin = 50, Top = 30, PlotHeight = Height - Top - Margin;
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    public static string Svg(IReadOnlyList<PrivacyRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        StringBuilder svg = new();
        int width = 2 * (PanelWidth + Margin);
        svg.AppendLine(s_invariant, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{Height}\" font-family=\"sans-serif\" font-size=\"11\">");
        svg.AppendLine(s_invariant, $"<rect width=\"{width}\" height=\"{Height}\" fill=\"white\"/>");
        string[] labels = [.. rows.Select(r => r.Epsilon is { } e ? "ε=" + e.ToString("G4", s_invariant) : "ε=∞")];

        // Left: accuracy and MIA AUC on [0, 1], with the coin-flip line at 0.5.
        Panel(svg, Margin, "accuracy and membership AUC", labels, 0, 1, false,
        [
            ("accuracy", "#1f77b4", [.. rows.Select(r => r.Accuracy)]),
            ("MIA AUC", "#d62728", [.. rows.Select(r => r.Mia.Auc)]),
        ], reference: 0.5);

        // Right: log10 of the reconstruction errors, from 1e-8 to 1e2 (an attack that recovered nothing is drawn at the top).
        Panel(svg, (2 * Margin) + PanelWidth, "reconstruction error (max-abs, log10)", labels, -8, 2, true,
        [
            ("logistic plain", "#2ca02c", [.. rows.Select(r => r.LogisticPlain)]),
            ("logistic secagg", "#98df8a", [.. rows.Select(r => r.LogisticSecAgg)]),
            ("MLP plain", "#9467bd", [.. rows.Select(r => r.MlpPlain)]),
            ("MLP secagg", "#c5b0d5", [.. rows.Select(r => r.MlpSecAgg)]),
        ], reference: null);
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static void Panel(StringBuilder svg, int left, string title, string[] labels, double low, double high, bool log, (string Name, string Colour, double[] Values)[] series, double? reference)
    {
        double X(int i) => left + (labels.Length == 1 ? PanelWidth / 2.0 : i * PanelWidth / (double)(labels.Length - 1));
        double Y(double v)
        {
            double value = log ? (double.IsFinite(v) && v > 0 ? Math.Log10(v) : high) : v;
            return Top + ((high - Math.Clamp(value, low, high)) / (high - low) * PlotHeight);
        }

        svg.AppendLine(s_invariant, $"<text x=\"{left}\" y=\"{Top - 12}\" font-weight=\"bold\">{title}</text>");
        svg.AppendLine(s_invariant, $"<rect x=\"{left}\" y=\"{Top}\" width=\"{PanelWidth}\" height=\"{PlotHeight}\" fill=\"none\" stroke=\"#888\"/>");
        for (int k = 0; k <= 4; k++)
        {
            double v = low + ((high - low) * k / 4);
            double y = Top + ((high - v) / (high - low) * PlotHeight);
            svg.AppendLine(s_invariant, $"<text x=\"{left - 4}\" y=\"{y + 4:F1}\" text-anchor=\"end\">{(log ? "1e" + v.ToString("F0", s_invariant) : v.ToString("F2", s_invariant))}</text>");
        }

        for (int i = 0; i < labels.Length; i++)
        {
            svg.AppendLine(s_invariant, $"<text x=\"{X(i):F1}\" y=\"{Top + PlotHeight + 16}\" text-anchor=\"middle\">{labels[i]}</text>");
        }

        if (reference is { } r)
        {
            svg.AppendLine(s_invariant, $"<line x1=\"{left}\" x2=\"{left + PanelWidth}\" y1=\"{Y(r):F1}\" y2=\"{Y(r):F1}\" stroke=\"#aaa\" stroke-dasharray=\"4 3\"/>");
        }

        for (int s = 0; s < series.Length; s++)
        {
            (string name, string colour, double[] values) = series[s];
            string points = string.Join(" ", values.Select((v, i) => string.Create(s_invariant, $"{X(i):F1},{Y(v):F1}")));
            svg.AppendLine(s_invariant, $"<polyline points=\"{points}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>");
            for (int i = 0; i < values.Length; i++)
            {
                svg.AppendLine(s_invariant, $"<circle cx=\"{X(i):F1}\" cy=\"{Y(values[i]):F1}\" r=\"3\" fill=\"{colour}\"/>");
            }

            svg.AppendLine(s_invariant, $"<text x=\"{left + 8}\" y=\"{Top + PlotHeight + 32 + (s / 2 * 0)}\" dx=\"{s * 88}\" fill=\"{colour}\">{name}</text>");
        }
    }
}
