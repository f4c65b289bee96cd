using System.Diagnostics;
using System.Net;
using System.Text;

namespace Consortia.Governance.Reports.Rendering;

/// <summary>Renders report blocks as a self-contained HTML page (no scripts, no external resources).</summary>
internal static class HtmlWriter
{
    private const string Style = """
        body{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
        table{border-collapse:collapse;margin:1rem 0}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:left;vertical-align:top}
        th{background:#f3f3f3}td{font-variant-numeric:tabular-nums;word-break:break-all}pre{background:#f6f8fa;padding:1rem;overflow:auto}
        """;

    public static string Write(string title, IReadOnlyList<ReportBlock> blocks)
    {
        StringBuilder html = new();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
            .Append(E(title)).Append("</title>\n<style>").Append(Style).Append("</style>\n</head>\n<body>\n");
        foreach (ReportBlock block in blocks)
        {
            switch (block)
            {
                case HeadingBlock h:
                    int level = Math.Clamp(h.Level, 1, 6);
                    html.Append("<h").Append(level).Append('>').Append(E(h.Text)).Append("</h").Append(level).Append(">\n");
                    break;
                case ParagraphBlock p:
                    html.Append("<p>").Append(E(p.Text)).Append("</p>\n");
                    break;
                case ListBlock l:
                    html.Append("<ul>\n");
                    foreach (string item in l.Items)
                    {
                        html.Append("<li>").Append(E(item)).Append("</li>\n");
                    }

                    html.Append("</ul>\n");
                    break;
                case TableBlock t:
                    html.Append("<table>\n<thead><tr>");
                    foreach (string header in t.Headers)
                    {
                        html.Append("<th>").Append(E(header)).Append("</th>");
                    }

                    html.Append("</tr></thead>\n<tbody>\n");
                    foreach (IReadOnlyList<string> row in t.Rows)
                    {
                        html.Append("<tr>");
                        foreach (string cell in row)
                        {
                            html.Append("<td>").Append(E(cell)).Append("</td>");
                        }

                        html.Append("</tr>\n");
                    }

                    html.Append("</tbody>\n</table>\n");
                    break;
                case CodeBlock c:
                    html.Append("<pre><code>").Append(E(c.Text)).Append("</code></pre>\n");
                    break;
                default:
                    throw new UnreachableException($"Unknown report block {block.GetType().Name}.");
            }
        }

        return html.Append("</body>\n</html>\n").ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
