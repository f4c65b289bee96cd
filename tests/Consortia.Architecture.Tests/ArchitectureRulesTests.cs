namespace Consortia.Architecture.Tests;

/// <summary>The checks themselves, fed fake repositories with deliberate violations.</summary>
public sealed class ArchitectureRulesTests
{
    [Fact]
    public void CheckProjectReferences_LearningReferencesData_ReportsTheForbiddenArrow()
    {
        using FakeRepository repo = new();
        repo.AddSourceWithTests("Consortia.Learning", "Consortia.Data");
        repo.AddSourceWithTests("Consortia.Data", "Consortia.Learning");
        repo.WriteSolutionListingEverything();

        IReadOnlyList<ArchitectureViolation> violations = ArchitectureRules.CheckProjectReferences(repo.Load());

        ArchitectureViolation violation = Assert.Single(violations);
        Assert.Equal(ViolationKind.ForbiddenReference, violation.Kind);
        Assert.Equal("Consortia.Learning", violation.Project);
        Assert.Equal("Consortia.Data", violation.Target);
        Assert.Contains("src/Consortia.Learning/Consortia.Learning.csproj", violation.ToString(), StringComparison.Ordinal);
        Assert.Contains("may reference: nothing", violation.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Consortia.SecureAggregation", "Consortia.Learning")]
    [InlineData("Consortia.Governance", "Consortia.Data")]
    [InlineData("Consortia.Data", "Consortia.Privacy")]
    [InlineData("Consortia.Privacy", "Consortia.Data")]
    [InlineData("Consortia.Federation", "Consortia.Assurance")]
    [InlineData("Consortia.Federation", "Consortia.Network")]
    [InlineData("Consortia.Assurance", "Consortia.Federation")]
    [InlineData("Consortia.Network", "Consortia.Cli")]
    [InlineData("Consortia.Dashboard", "Consortia.Network")] // the dashboard takes the admin check as a delegate
    [InlineData("Consortia.Federation", "Consortia.Dashboard")]
    [InlineData("Consortia.Federation", "Consortia.TestKit")]
    public void CheckProjectReferences_ArrowAgainstTheTable_IsReported(string from, string to)
    {
        using FakeRepository repo = new();
        repo.AddSourceWithTests(from, to);
        repo.WriteSolutionListingEverything();

        IReadOnlyList<ArchitectureViolation> violations = ArchitectureRules.CheckProjectReferences(repo.Load());

        ArchitectureViolation violation = Assert.Single(violations);
        Assert.Equal((ViolationKind.ForbiddenReference, from, to), (violation.Kind, violation.Project, violation.Target));
    }

    [Theory]
    [InlineData("Consortia.Data", "Consortia.Learning")]
    [InlineData("Consortia.Federation", "Consortia.Governance")]
    [InlineData("Consortia.Assurance", "Consortia.Privacy")]
    [InlineData("Consortia.Network", "Consortia.Federation")]
    [InlineData("Consortia.Network", "Consortia.Learning")] // through Federation
    [InlineData("Consortia.Cli", "Consortia.Network")]
    [InlineData("Consortia.Cli", "Consortia.Assurance")]
    [InlineData("Consortia.Dashboard", "Consortia.Governance")]
    [InlineData("Consortia.Network", "Consortia.Dashboard")]
    public void CheckProjectReferences_ArrowInTheTable_IsAllowed(string from, string to)
    {
        using FakeRepository repo = new();
        repo.AddSourceWithTests(from, to);
        repo.WriteSolutionListingEverything();

        IReadOnlyList<ArchitectureViolation> violations = ArchitectureRules.CheckProjectReferences(repo.Load());

        Assert.Empty(violations);
    }

    [Fact]
    public void CheckProjectReferences_ProjectMissingFromTable_IsReported()
    {
        using FakeRepository repo = new();
        repo.AddSourceWithTests("Consortia.Utils");
        repo.WriteSolutionListingEverything();

        IReadOnlyList<ArchitectureViolation> violations = ArchitectureRules.CheckProjectReferences(repo.Load());

        ArchitectureViolation violation = Assert.Single(violations);
        Assert.Equal((ViolationKind.UnknownProject, "Consortia.Utils"), (violation.Kind, violation.Project));
    }

    [Fact]
    public void CheckAssemblyReferences_ForbiddenCompiledReference_IsReportedByProjectName()
    {
        using FakeRepository repo = new();
        repo.AddProject("src", "Consortia.Cli", assemblyName: "consortia");
        repo.AddProject("src", "Consortia.Federation");
        repo.AddProject("src", "Consortia.Governance");
        repo.AddProject("src", "Consortia.Learning");
        repo.AddProject("tests", "Consortia.TestKit");
        repo.WriteSolutionListingEverything();
        CompiledAssembly[] assemblies =
        [
            new("Consortia.Governance", "Consortia.Governance", ["System.Runtime", "Consortia.Learning"]),
            new("Consortia.Federation", "Consortia.Federation", ["System.Runtime", "Consortia.Learning", "consortia", "Consortia.TestKit"]),
            new("Consortia.Cli", "consortia", ["Consortia.Federation", "Consortia.Learning", "System.Console", "Spectre.Console"]),
        ];

        IReadOnlyList<ArchitectureViolation> violations = ArchitectureRules.CheckAssemblyReferences(assemblies, repo.Load());

        Assert.Equal(
            [
                ("Consortia.Governance", "Consortia.Learning"),
                ("Consortia.Federation", "Consortia.Cli"),
                ("Consortia.Federation", "Consortia.TestKit"),
            ],
            violations.Select(v => (v.Project, v.Target)));
        Assert.All(violations, v => Assert.Equal(ViolationKind.ForbiddenReference, v.Kind));
    }

    [Fact]
    public void CheckAssemblyReferences_LibraryReferencingConsoleAssembly_IsReported()
    {
        using FakeRepository repo = new();
        repo.AddProject("src", "Consortia.Data");
        repo.WriteSolutionListingEverything();
        CompiledAssembly[] assemblies = [new("Consortia.Data", "Consortia.Data", ["System.Runtime", "System.Console", "Spectre.Console.Cli"])];

        IReadOnlyList<ArchitectureViolation> violations = ArchitectureRules.CheckAssemblyReferences(assemblies, repo.Load());

        Assert.Equal(["System.Console", "Spectre.Console.Cli"], violations.Select(v => v.Target));
        Assert.All(violations, v => Assert.Equal(ViolationKind.ConsolePackage, v.Kind));
    }

    [Fact]
    public void CheckConsolePackages_LibraryWithSpectreConsole_IsReportedButCliIsNot()
    {
        using FakeRepository repo = new();
        repo.AddProject("src", "Consortia.Data", packageReferences: ["CsvHelper", "Spectre.Console"]);
        repo.AddProject("src", "Consortia.Cli", packageReferences: ["Spectre.Console", "System.CommandLine"]);
        repo.WriteSolutionListingEverything();

        IReadOnlyList<ArchitectureViolation> violations = ArchitectureRules.CheckConsolePackages(repo.Load());

        ArchitectureViolation violation = Assert.Single(violations);
        Assert.Equal((ViolationKind.ConsolePackage, "Consortia.Data", "Spectre.Console"), (violation.Kind, violation.Project, violation.Target));
    }

    [Fact]
    public void CheckTestProjects_SourceProjectWithoutTests_IsReported()
    {
        using FakeRepository repo = new();
        repo.AddSourceWithTests("Consortia.Learning");
        repo.AddProject("src", "Consortia.Privacy", ["Consortia.Learning"]);
        repo.WriteSolutionListingEverything();

        IReadOnlyList<ArchitectureViolation> violations = ArchitectureRules.CheckTestProjects(repo.Load());

        ArchitectureViolation violation = Assert.Single(violations);
        Assert.Equal(ViolationKind.MissingTestProject, violation.Kind);
        Assert.Equal("tests/Consortia.Privacy.Tests/Consortia.Privacy.Tests.csproj", violation.Target);
    }

    [Fact]
    public void CheckSolution_ProjectNotListed_IsReported()
    {
        using FakeRepository repo = new();
        string learning = repo.AddProject("src", "Consortia.Learning");
        repo.AddProject("tests", "Consortia.Learning.Tests");
        repo.AddProject("benchmarks", "Consortia.Benchmarks");
        repo.WriteSolution([learning, "tests/Consortia.Learning.Tests/Consortia.Learning.Tests.csproj"]);

        IReadOnlyList<ArchitectureViolation> violations = ArchitectureRules.CheckSolution(repo.Load());

        ArchitectureViolation violation = Assert.Single(violations);
        Assert.Equal((ViolationKind.NotInSolution, "benchmarks/Consortia.Benchmarks/Consortia.Benchmarks.csproj"), (violation.Kind, violation.Target));
    }

    [Fact]
    public void Load_ProjectsUnderBinAndObj_AreIgnored()
    {
        using FakeRepository repo = new();
        repo.AddProject("src", "Consortia.Learning");
        repo.AddProject("src/Consortia.Learning/obj", "Consortia.Stale");
        repo.WriteSolutionListingEverything();

        RepositoryLayout layout = repo.Load();

        Assert.Equal(["Consortia.Learning"], layout.SourceProjects.Select(p => p.Name));
    }

    [Fact]
    public void Load_MalformedProjectFile_ThrowsNamingTheFile()
    {
        using FakeRepository repo = new();
        repo.WriteSolution([]);
        Directory.CreateDirectory(Path.Combine(repo.Root, "src", "Consortia.Learning"));
        File.WriteAllText(Path.Combine(repo.Root, "src", "Consortia.Learning", "Consortia.Learning.csproj"), "<Project><ItemGroup>");

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => repo.Load());

        Assert.Contains("Consortia.Learning.csproj", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void FindRoot_FromNestedFolder_ReturnsFolderWithSolution()
    {
        using FakeRepository repo = new();
        repo.WriteSolution([]);
        string nested = Path.Combine(repo.Root, "tests", "X", "bin", "Release");
        Directory.CreateDirectory(nested);

        string root = RepositoryLayout.FindRoot(nested);

        Assert.Equal(Path.GetFullPath(repo.Root), root);
    }

    [Fact]
    public void FindRoot_NoSolutionAbove_Throws()
    {
        using FakeRepository repo = new();

        Assert.Throws<DirectoryNotFoundException>(() => RepositoryLayout.FindRoot(repo.Root));
    }
}
