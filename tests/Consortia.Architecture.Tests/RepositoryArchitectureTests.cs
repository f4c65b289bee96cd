namespace Consortia.Architecture.Tests;

/// <summary>The real repository, checked against docs/architecture.md and the layout rules of style.md.</summary>
public sealed class RepositoryArchitectureTests
{
    private static readonly Lazy<RepositoryLayout> s_layout =
        new(() => RepositoryLayout.Load(RepositoryLayout.FindRoot(AppContext.BaseDirectory)));

    private static RepositoryLayout Layout => s_layout.Value;

    [Fact]
    public void Layout_FromTestOutput_FindsTheSourceProjects()
    {
        string[] names = [.. Layout.SourceProjects.Select(p => p.Name)];

        Assert.Contains("Consortia.Learning", names);
        Assert.Contains("Consortia.Federation", names);
        Assert.Contains("Consortia.Cli", names);
        Assert.Equal("consortia", Layout.SourceProjects.Single(p => p.Name == "Consortia.Cli").AssemblyName);
    }

    [Fact]
    public void ProjectReferences_EverySourceProject_FollowsArchitectureTable()
    {
        IReadOnlyList<ArchitectureViolation> violations = ArchitectureRules.CheckProjectReferences(Layout);

        AssertNone(violations);
    }

    [Fact]
    public void CompiledAssemblies_EverySourceProject_ReferencesOnlyAllowedAssemblies()
    {
        (IReadOnlyList<CompiledAssembly> assemblies, IReadOnlyList<ArchitectureViolation> missing) =
            CompiledAssemblyLoader.Load(Layout, AppContext.BaseDirectory);

        IReadOnlyList<ArchitectureViolation> violations = ArchitectureRules.CheckAssemblyReferences(assemblies, Layout);

        AssertNone([.. missing, .. violations]);
        Assert.Equal(Layout.SourceProjects.Count, assemblies.Count);
    }

    [Fact]
    public void PackageReferences_LibrariesOtherThanCli_UseNoConsolePackage()
    {
        IReadOnlyList<ArchitectureViolation> violations = ArchitectureRules.CheckConsolePackages(Layout);

        AssertNone(violations);
    }

    [Fact]
    public void TestProjects_EverySourceProject_HasMatchingTestProject()
    {
        IReadOnlyList<ArchitectureViolation> violations = ArchitectureRules.CheckTestProjects(Layout);

        AssertNone(violations);
    }

    [Fact]
    public void Solution_EveryProjectOnDisk_IsListedInSlnx()
    {
        IReadOnlyList<ArchitectureViolation> violations = ArchitectureRules.CheckSolution(Layout);

        AssertNone(violations);
        Assert.NotEmpty(Layout.TestProjects);
    }

    private static void AssertNone(IReadOnlyList<ArchitectureViolation> violations) =>
        Assert.True(violations.Count == 0, "Architecture violations:\n  " + string.Join("\n  ", violations));
}
