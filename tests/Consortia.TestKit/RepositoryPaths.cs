namespace Consortia.TestKit;

/// <summary>Locates files of the repository from a test's output folder.</summary>
public static class RepositoryPaths
{
    /// <summary>The repository root (the folder holding Consortia.slnx).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path under the repository root.</summary>
    /// <param name="parts">Path segments.</param>
    /// <returns>The combined full path.</returns>
    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        DirectoryInfo? dir = new(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Consortia.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Consortia.slnx not found above " + AppContext.BaseDirectory);
    }
}
