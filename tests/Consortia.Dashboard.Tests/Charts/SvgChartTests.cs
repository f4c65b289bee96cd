using System.Xml.Linq;
using Consortia.Dashboard.Charts;

namespace Consortia.Dashboard.Tests.Charts;

public sealed class SvgChartTests
{
    [Fact]
    public void Lines_IsWellFormedSvg_WithOnePolylinePerSeriesAndItsLegend()
    {
        string svg = SvgChart.Lines("AUC", "round", "roc_auc",
            [new ChartSeries("site-a", [(1, 0.6), (2, 0.7)]), new ChartSeries("site-b", [(1, 0.5), (2, double.NaN), (3, 0.8)]), new ChartSeries("global", [(1, 0.55)], Emphasis: true)]);

        XDocument doc = XDocument.Parse(svg);
        XNamespace ns = doc.Root!.Name.Namespace;
        XElement[] lines = [.. doc.Descendants(ns + "polyline")];
        Assert.Equal("svg", doc.Root.Name.LocalName);
        Assert.Equal(3, lines.Length);
        Assert.Equal(2, lines[1].Attribute("points")!.Value.Split(' ').Length); // the NaN point is left out
        Assert.Equal("3", lines[2].Attribute("stroke-width")!.Value);
        Assert.Equal(["site-a", "site-b", "global"], doc.Descendants(ns + "text").Select(t => t.Value).Where(t => t is "site-a" or "site-b" or "global"));
    }

    [Fact]
    public void Lines_OverRounds_TicksTheXAxisAtWholeRounds_AndTheYAxisAtRoundValues()
    {
        string svg = SvgChart.Lines("AUC", "round", "roc_auc", [new ChartSeries("site-a", [.. Enumerable.Range(1, 15).Select(r => ((double)r, 0.566 + (0.017 * r)))])]);

        XDocument doc = XDocument.Parse(svg);
        XNamespace ns = doc.Root!.Name.Namespace;
        // The x-axis labels sit just below the plot (y = 340 - 48 + 14), the y-axis labels right-aligned left of it.
        string[] x = [.. doc.Descendants(ns + "text").Where(t => t.Attribute("y")!.Value == "306").Select(t => t.Value)];
        string[] y = [.. doc.Descendants(ns + "text").Where(t => t.Attribute("text-anchor")?.Value == "end").Select(t => t.Value)];
        Assert.Equal(["2", "4", "6", "8", "10", "12", "14"], x);
        Assert.True(y.Length >= 4, string.Join(", ", y));
        Assert.All(y, v => Assert.Matches(@"^\d\.\d\d?$", v)); // 0.6, 0.65 …: no 0.628 from splitting the range in four
    }

    [Fact]
    public void Lines_OverANarrowRange_StillGetsAtLeastFourYTicks()
    {
        // A training loss from 0.556 to 0.459 (the Heart FedAvg run): steps of 0.05 would leave two ticks.
        string svg = SvgChart.Lines("Training loss", "round", "loss", [new ChartSeries("all sites", [(1, 0.556), (8, 0.47), (15, 0.459)])]);

        XDocument doc = XDocument.Parse(svg);
        string[] y = [.. doc.Descendants(doc.Root!.Name.Namespace + "text").Where(t => t.Attribute("text-anchor")?.Value == "end").Select(t => t.Value)];
        Assert.True(y.Length >= 4, string.Join(", ", y));
    }

    [Fact]
    public void Lines_WithNothingFinite_SaysSoInsteadOfAnEmptyPlot()
    {
        string svg = SvgChart.Lines("Training loss", "round", "loss", [new ChartSeries("all sites", [(1, double.NaN), (2, double.NaN)])]);

        Assert.Contains("no values to draw", svg, StringComparison.Ordinal);
        Assert.Empty(XDocument.Parse(svg).Descendants(XDocument.Parse(svg).Root!.Name.Namespace + "polyline"));
    }

    [Fact]
    public void Lines_HostileSeriesName_IsEscaped()
    {
        string svg = SvgChart.Lines("t", "x", "y", [new ChartSeries("<script>alert(1)</script>", [(0, 0), (1, 1)])]);

        Assert.DoesNotContain("<script>", svg, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;", svg, StringComparison.Ordinal);
        XDocument.Parse(svg);
    }

    [Fact]
    public void Bars_IsWellFormedSvg_WithOneRectPerFiniteValue()
    {
        string svg = SvgChart.Bars("ε", "ε", ["a", "b"], [("job", [0.5, 1.0]), ("budget", [8.0, double.NaN])], 0, 10);

        XDocument doc = XDocument.Parse(svg);
        XNamespace ns = doc.Root!.Name.Namespace;
        // The frame and the two legend swatches are rects too; the bars carry a <title>.
        Assert.Equal(["job a: 0.5000", "job b: 1.0000", "budget a: 8.0000"], doc.Descendants(ns + "rect").Select(r => r.Element(ns + "title")?.Value).OfType<string>());
    }
}
