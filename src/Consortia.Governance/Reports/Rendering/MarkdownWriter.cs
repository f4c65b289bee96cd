using System.Diagnostics;
using System.Text;

namespace Consortia.Governance.Reports.Rendering;

/// <summary>Renders report blocks as GitHub-flavoured Markdown.</summary>
internal static class MarkdownWriter
{
    public static string Write(IReadOnlyList<ReportBlock> blocks)
    {
        StringBuilder md = new();
        foreach (ReportBlock block in blocks)
        {
            switch (block)
            {
                case HeadingBlock h:
                    md.Append('#', h.Level).Append(' ').Append(Inline(h.Text)).Append("\n\n");
                    break;
                case ParagraphBlock p:
                    md.Append(Inline(p.Text)).Append("\n\n");
                    break;
                case ListBlock l:
                    foreach (string item in l.Items)
                    {
                        md.Append("- ").Append(Inline(item)).Append('\n');
                    }

                    md.Append('\n');
                    break;
                case TableBlock t:
                    md.Append("| ").AppendJoin(" | ", t.Headers.Select(Cell)).Append(" |\n");
                    md.Append('|').AppendJoin('|', t.Headers.Select(_ => "---")).Append("|\n");
                    foreach (IReadOnlyList<string> row in t.Rows)
                    {
                        md.Append("| ").AppendJoin(" | ", row.Select(Cell)).Append(" |\n");
                    }

                    md.Append('\n');
                    break;
                case CodeBlock c:
                    // A fence longer than any backtick run in the text cannot be closed early by the text.
                    string fence = new('`', Math.Max(3, LongestRun(c.Text, '`') + 1));
                    md.Append(fence).Append(c.Language).Append('\n').Append(c.Text.TrimEnd('\n')).Append('\n').Append(fence).Append("\n\n");
                    break;
                default:
                    throw new UnreachableException($"Unknown report block {block.GetType().Name}.");
            }
        }

        return md.ToString();
    }

    private static string Inline(string text) => text.Replace("\r", " ", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    private static string Cell(string text) => Inline(text).Replace("|", "\\|", StringComparison.Ordinal);

    private static int LongestRun(string text, char c)
    {
        int longest = 0, current = 0;
        foreach (char ch in text)
        {
            current = ch == c ? current + 1 : 0;
            longest = Math.Max(longest, current);
        }

        return longest;
    }
}
