using System.Collections.Frozen;
using System.Xml;
using System.Xml.Linq;

namespace Consortia.Architecture.Tests;

/// <summary>The projects of a repository checkout and the entries of its solution file.</summary>
internal sealed class RepositoryLayout
{
    /// <summary>The solution file that marks the repository root.</summary>
    public const string SolutionFileName = "Consortia.slnx";

    private RepositoryLayout(
        string root,
        IReadOnlyList<ProjectFile> sourceProjects,
        IReadOnlyList<ProjectFile> testProjects,
        IReadOnlyList<ProjectFile> otherProjects,
        FrozenSet<string> solutionEntries)
    {
        Root = root;
        SourceProjects = sourceProjects;
        TestProjects = testProjects;
        OtherProjects = otherProjects;
        SolutionEntries = solutionEntries;
    }

    /// <summary>The repository root (the folder holding <see cref="SolutionFileName"/>).</summary>
    public string Root { get; }

    /// <summary>The projects under src/, by name.</summary>
    public IReadOnlyList<ProjectFile> SourceProjects { get; }

    /// <summary>The projects under tests/, by name.</summary>
    public IReadOnlyList<ProjectFile> TestProjects { get; }

    /// <summary>The projects under benchmarks/.</summary>
    public IReadOnlyList<ProjectFile> OtherProjects { get; }

    /// <summary>The project paths listed in the solution file, relative to the root with forward slashes.</summary>
    public FrozenSet<string> SolutionEntries { get; }

    /// <summary>Walks up from <paramref name="start"/> to the first folder that holds <see cref="SolutionFileName"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">No ancestor holds the solution file.</exception>
    public static string FindRoot(string start)
    {
        for (DirectoryInfo? directory = new(start); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, SolutionFileName)))
            {
                return directory.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No folder at or above '{start}' contains {SolutionFileName}.");
    }

    /// <summary>Reads every .csproj under src/, tests/ and benchmarks/ (skipping bin/ and obj/) and the solution file.</summary>
    /// <exception cref="InvalidDataException">A project or the solution file is not well-formed XML.</exception>
    public static RepositoryLayout Load(string root)
    {
        string solutionPath = Path.Combine(root, SolutionFileName);
        XDocument solution;
        try
        {
            solution = XDocument.Load(solutionPath);
        }
        catch (XmlException e)
        {
            throw new InvalidDataException($"{solutionPath}: not a well-formed solution file ({e.Message}).", e);
        }

        FrozenSet<string> entries = solution.Descendants()
            .Where(e => e.Name.LocalName == "Project")
            .Select(e => e.Attribute("Path")?.Value.Replace('\\', '/').TrimStart('.', '/'))
            .OfType<string>()
            .ToFrozenSet(StringComparer.Ordinal);

        return new RepositoryLayout(root, Projects(root, "src"), Projects(root, "tests"), Projects(root, "benchmarks"), entries);
    }

    private static List<ProjectFile> Projects(string root, string folder)
    {
        string directory = Path.Combine(root, folder);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        return Directory.EnumerateFiles(directory, "*.csproj", SearchOption.AllDirectories)
            .Where(path => !Path.GetRelativePath(directory, path).Split('/', '\\').Any(s => s is "bin" or "obj"))
            .Order(StringComparer.Ordinal)
            .Select(path => ProjectFile.Load(root, path))
            .ToList();
    }
}
