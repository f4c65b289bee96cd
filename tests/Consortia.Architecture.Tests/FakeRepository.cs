namespace Consortia.Architecture.Tests;

/// <summary>A throw-away repository in a fresh temporary folder, for feeding the checks deliberate violations.</summary>
internal sealed class FakeRepository : IDisposable
{
    public FakeRepository()
    {
        Root = Path.Combine(Path.GetTempPath(), "consortia-architecture-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
    }

    /// <summary>The repository root.</summary>
    public string Root { get; }

    /// <summary>Writes <c>folder/name/name.csproj</c> with the given references.</summary>
    /// <param name="folder">src, tests or benchmarks.</param>
    /// <param name="name">The project name.</param>
    /// <param name="projectReferences">Names of referenced projects, written as relative paths in the same folder.</param>
    /// <param name="packageReferences">Package ids.</param>
    /// <param name="assemblyName">An AssemblyName property, if any.</param>
    /// <returns>The project path relative to the root.</returns>
    public string AddProject(string folder, string name, string[]? projectReferences = null, string[]? packageReferences = null, string? assemblyName = null)
    {
        string directory = Path.Combine(Root, folder, name);
        Directory.CreateDirectory(directory);
        string items = string.Concat((projectReferences ?? []).Select(r => $"    <ProjectReference Include=\"..\\{r}\\{r}.csproj\" />\n"))
            + string.Concat((packageReferences ?? []).Select(p => $"    <PackageReference Include=\"{p}\" />\n"));
        string properties = assemblyName is null ? string.Empty : $"  <PropertyGroup>\n    <AssemblyName>{assemblyName}</AssemblyName>\n  </PropertyGroup>\n";
        File.WriteAllText(
            Path.Combine(directory, name + ".csproj"),
            $"<Project Sdk=\"Microsoft.NET.Sdk\">\n{properties}  <ItemGroup>\n{items}  </ItemGroup>\n</Project>\n");
        return $"{folder}/{name}/{name}.csproj";
    }

    /// <summary>Writes a source project together with its test project.</summary>
    public void AddSourceWithTests(string name, params string[] projectReferences)
    {
        AddProject("src", name, projectReferences);
        AddProject("tests", name + ".Tests");
    }

    /// <summary>Writes Consortia.slnx listing exactly the given paths.</summary>
    public void WriteSolution(IEnumerable<string> projectPaths) =>
        File.WriteAllText(
            Path.Combine(Root, RepositoryLayout.SolutionFileName),
            "<Solution>\n" + string.Concat(projectPaths.Select(p => $"  <Project Path=\"{p}\" />\n")) + "</Solution>\n");

    /// <summary>Writes Consortia.slnx listing every project currently on disk.</summary>
    public void WriteSolutionListingEverything() =>
        WriteSolution(Directory.EnumerateFiles(Root, "*.csproj", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Root, p).Replace('\\', '/')));

    /// <summary>Loads the fake repository as the checks see it.</summary>
    public RepositoryLayout Load() => RepositoryLayout.Load(Root);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is not worth failing a test for.
        }
    }
}
