using System.Collections.Immutable;
using System.Xml;
using System.Xml.Linq;

namespace Consortia.Architecture.Tests;

/// <summary>What the architecture checks need from one .csproj: its name, assembly name and references.</summary>
/// <param name="Name">The project name (the file name without extension), e.g. <c>Consortia.Cli</c>.</param>
/// <param name="RelativePath">The path from the repository root, with forward slashes.</param>
/// <param name="AssemblyName">The <c>AssemblyName</c> property when set (Cli builds <c>consortia</c>), else <see cref="Name"/>.</param>
/// <param name="ProjectReferences">The names of the projects in its <c>ProjectReference</c> items.</param>
/// <param name="PackageReferences">The ids in its <c>PackageReference</c> items.</param>
internal sealed record ProjectFile(
    string Name,
    string RelativePath,
    string AssemblyName,
    ImmutableArray<string> ProjectReferences,
    ImmutableArray<string> PackageReferences)
{
    /// <summary>Reads a project file; conditions on items are ignored, so every possible reference is checked.</summary>
    /// <exception cref="InvalidDataException">The file is not well-formed XML.</exception>
    public static ProjectFile Load(string root, string path)
    {
        XDocument document;
        try
        {
            document = XDocument.Load(path);
        }
        catch (XmlException e)
        {
            throw new InvalidDataException($"{path}: not a well-formed project file ({e.Message}).", e);
        }

        string name = Path.GetFileNameWithoutExtension(path);
        string? assemblyName = document.Descendants().FirstOrDefault(e => e.Name.LocalName == "AssemblyName")?.Value.Trim();
        return new ProjectFile(
            name,
            Path.GetRelativePath(root, path).Replace('\\', '/'),
            string.IsNullOrEmpty(assemblyName) ? name : assemblyName,
            [.. Includes(document, "ProjectReference").Select(include => Path.GetFileNameWithoutExtension(include.Replace('\\', '/')))],
            [.. Includes(document, "PackageReference")]);
    }

    private static IEnumerable<string> Includes(XDocument document, string itemName) =>
        document.Descendants()
            .Where(e => e.Name.LocalName == itemName)
            .Select(e => e.Attribute("Include")?.Value.Trim())
            .OfType<string>()
            .Where(include => include.Length > 0);
}
