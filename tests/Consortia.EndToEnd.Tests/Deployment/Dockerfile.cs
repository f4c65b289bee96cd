using System.Text.RegularExpressions;

namespace Consortia.EndToEnd.Tests.Deployment;

/// <summary>One instruction of a Dockerfile, continuation lines joined.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments, int Line)
{
    /// <summary>The whitespace-separated words, with the leading <c>--flag=value</c> options removed.</summary>
    public IReadOnlyList<string> Words => [.. Arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).SkipWhile(w => w.StartsWith("--", StringComparison.Ordinal))];

    /// <summary>The value of a leading <c>--name=value</c> option, or null.</summary>
    public string? Flag(string name) =>
        Arguments.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).TakeWhile(w => w.StartsWith("--", StringComparison.Ordinal))
            .Select(w => w.Split('=', 2)).Where(p => p[0] == "--" + name).Select(p => p.Length > 1 ? p[1] : "").FirstOrDefault();

    public override string ToString() => $"line {Line}: {Keyword} {Arguments}";
}

/// <summary>A build stage: its FROM and the instructions up to the next FROM.</summary>
internal sealed record DockerStage(DockerInstruction From, IReadOnlyList<DockerInstruction> Instructions)
{
    /// <summary>The stage's name (<c>FROM image AS name</c>), or null.</summary>
    public string? Name => From.Words.Count >= 3 && From.Words[^2].Equals("AS", StringComparison.OrdinalIgnoreCase) ? From.Words[^1] : null;

    public string Image => From.Words[0];

    public IEnumerable<DockerInstruction> All(string keyword) => Instructions.Where(i => i.Keyword == keyword);
}

/// <summary>A minimal Dockerfile reader: enough to check the structure of deploy/docker/Dockerfile.</summary>
internal sealed partial class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerInstruction> global, IReadOnlyList<DockerStage> stages)
    {
        Global = global;
        Stages = stages;
    }

    /// <summary>Instructions before the first FROM (global ARGs).</summary>
    public IReadOnlyList<DockerInstruction> Global { get; }

    public IReadOnlyList<DockerStage> Stages { get; }

    public DockerStage Final => Stages[^1];

    public DockerStage Stage(string name) => Stages.SingleOrDefault(s => s.Name == name) ?? throw new Xunit.Sdk.XunitException($"no stage named {name}");

    public static Dockerfile Parse(string text)
    {
        List<DockerInstruction> instructions = [];
        string[] lines = text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            int start = i + 1;
            string joined = line;
            while (joined.EndsWith('\\') && i + 1 < lines.Length)
            {
                string next = lines[++i].Trim();
                joined = joined[..^1].TrimEnd() + (next.StartsWith('#') ? "" : " " + next);
            }

            Match m = InstructionRegex().Match(joined);
            instructions.Add(new DockerInstruction(m.Groups[1].Value.ToUpperInvariant(), m.Groups[2].Value.Trim(), start));
        }

        List<DockerInstruction> global = [.. instructions.TakeWhile(x => x.Keyword != "FROM")];
        List<DockerStage> stages = [];
        foreach (DockerInstruction instruction in instructions.Skip(global.Count))
        {
            if (instruction.Keyword == "FROM")
            {
                stages.Add(new DockerStage(instruction, []));
            }
            else
            {
                DockerStage current = stages[^1];
                stages[^1] = current with { Instructions = [.. current.Instructions, instruction] };
            }
        }

        return new Dockerfile(global, stages);
    }

    /// <summary>Replaces <c>${NAME}</c> and <c>$NAME</c> by the global ARG defaults.</summary>
    public string Expand(string text)
    {
        foreach (DockerInstruction arg in Global.Where(g => g.Keyword == "ARG"))
        {
            string[] pair = arg.Arguments.Split('=', 2);
            if (pair.Length == 2)
            {
                text = text.Replace("${" + pair[0] + "}", pair[1], StringComparison.Ordinal).Replace("$" + pair[0], pair[1], StringComparison.Ordinal);
            }
        }

        return text;
    }

    [GeneratedRegex(@"^(\w+)\s*(.*)$", RegexOptions.Singleline)]
    private static partial Regex InstructionRegex();
}

/// <summary>.dockerignore matching as the builder does it: patterns in order, the last that matches a path or one of its parents wins.</summary>
internal sealed class DockerIgnore
{
    private readonly List<(Regex Pattern, bool Exclude, string Text)> _rules = [];

    public DockerIgnore(string text)
    {
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            bool exclude = !line.StartsWith('!');
            string pattern = line.TrimStart('!').Trim('/');
            string regex = "^" + Regex.Escape(pattern)
                .Replace(@"\*\*/", "(.*/)?", StringComparison.Ordinal)
                .Replace(@"\*\*", ".*", StringComparison.Ordinal)
                .Replace(@"\*", "[^/]*", StringComparison.Ordinal)
                .Replace(@"\?", "[^/]", StringComparison.Ordinal) + "$";
            _rules.Add((new Regex(regex, RegexOptions.CultureInvariant), exclude, line));
        }
    }

    public IReadOnlyList<string> Patterns => [.. _rules.Select(r => r.Text)];

    /// <summary>Whether the path (relative to the context, '/' separated) is left out of the build context.</summary>
    public bool Excludes(string path)
    {
        string[] parts = path.Trim('/').Split('/');
        bool excluded = false;
        foreach ((Regex pattern, bool exclude, _) in _rules)
        {
            for (int n = 1; n <= parts.Length; n++)
            {
                if (pattern.IsMatch(string.Join('/', parts.Take(n))))
                {
                    excluded = exclude;
                    break;
                }
            }
        }

        return excluded;
    }
}
