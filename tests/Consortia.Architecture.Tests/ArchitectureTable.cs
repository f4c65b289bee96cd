using System.Collections.Frozen;

namespace Consortia.Architecture.Tests;

/// <summary>The allowed arrows between the projects under src/, as one table.</summary>
/// <remarks>
/// Transcribed from the "depends on" column of the project table in docs/architecture.md
/// ("Projects (src/), one responsibility each"). Change the two together. A project may reference the
/// projects listed for it and, through them, whatever those may reference (Network uses Learning's types
/// through Federation, for instance); nothing else. Projects not yet created (Assurance, Network) are
/// listed so that they are checked the moment they appear.
/// </remarks>
internal static class ArchitectureTable
{
    /// <summary>Stands for "every other project in the table" (the Cli host composes everything).</summary>
    public const string AllProjects = "*";

    /// <summary>Project → the projects it may reference (see the remarks for the transitive reading).</summary>
    public static FrozenDictionary<string, string[]> DependsOn { get; } = new Dictionary<string, string[]>(StringComparer.Ordinal)
    {
        // project                          may reference
        ["Consortia.Yaml"] =                [],
        ["Consortia.Learning"] =            [],
        ["Consortia.Data"] =                ["Consortia.Learning", "Consortia.Yaml"],
        ["Consortia.Privacy"] =             ["Consortia.Learning"],
        ["Consortia.SecureAggregation"] =   [],
        ["Consortia.Federation"] =          ["Consortia.Learning", "Consortia.Data", "Consortia.Privacy", "Consortia.SecureAggregation", "Consortia.Governance"],
        ["Consortia.Governance"] =          ["Consortia.Yaml"],
        ["Consortia.Assurance"] =           ["Consortia.Learning", "Consortia.Data", "Consortia.Privacy"],
        ["Consortia.Stores.PostgreSql"] =   ["Consortia.Federation"],
        ["Consortia.Dashboard"] =           ["Consortia.Federation", "Consortia.Governance"],
        ["Consortia.Network"] =             ["Consortia.Federation", "Consortia.Stores.PostgreSql", "Consortia.Dashboard"],
        ["Consortia.Cli"] =                 [AllProjects],
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>The only projects allowed to write to the console (style.md: "Console.* outside Cli" is banned).</summary>
    public static FrozenSet<string> ConsoleHosts { get; } = new[] { "Consortia.Cli" }.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>
    /// Package ids (and assembly names) of console and command-line libraries; an entry also matches ids that
    /// extend it after a dot (<c>Spectre.Console</c> matches <c>Spectre.Console.Cli</c>).
    /// </summary>
    public static IReadOnlyList<string> ConsolePackages { get; } =
    [
        "System.Console",
        "Spectre.Console",
        "System.CommandLine",
        "Microsoft.Extensions.Logging.Console",
        "Serilog.Sinks.Console",
        "Colorful.Console",
        "McMaster.Extensions.CommandLineUtils",
        "CommandLineParser",
        "Terminal.Gui",
    ];

    /// <summary>Whether <paramref name="project"/> is one of the projects in the table.</summary>
    public static bool IsKnown(string project) => DependsOn.ContainsKey(project);

    /// <summary>Whether <paramref name="from"/> may reference <paramref name="to"/>, directly or through allowed projects.</summary>
    public static bool MayReference(string from, string to) =>
        IsKnown(from) && IsKnown(to) && !string.Equals(from, to, StringComparison.Ordinal) && AllowedReferences(from).Contains(to);

    /// <summary>Every project <paramref name="project"/> may reference: the transitive closure of its table row.</summary>
    public static IReadOnlySet<string> AllowedReferences(string project)
    {
        HashSet<string> allowed = new(StringComparer.Ordinal);
        Stack<string> pending = new();
        pending.Push(project);
        while (pending.TryPop(out string? current))
        {
            if (!DependsOn.TryGetValue(current, out string[]? row))
            {
                continue;
            }

            IEnumerable<string> next = row.Contains(AllProjects, StringComparer.Ordinal)
                ? DependsOn.Keys.Where(p => !string.Equals(p, project, StringComparison.Ordinal))
                : row;
            foreach (string dependency in next)
            {
                if (allowed.Add(dependency))
                {
                    pending.Push(dependency);
                }
            }
        }

        return allowed;
    }

    /// <summary>Whether <paramref name="packageOrAssembly"/> is a console library from <see cref="ConsolePackages"/>.</summary>
    public static bool IsConsolePackage(string packageOrAssembly) =>
        ConsolePackages.Any(p =>
            string.Equals(packageOrAssembly, p, StringComparison.OrdinalIgnoreCase)
            || packageOrAssembly.StartsWith(p + ".", StringComparison.OrdinalIgnoreCase));
}
