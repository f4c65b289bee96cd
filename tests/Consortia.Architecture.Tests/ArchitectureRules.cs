namespace Consortia.Architecture.Tests;

/// <summary>The checks, each returning every violation it finds (empty when the repository conforms).</summary>
internal static class ArchitectureRules
{
    /// <summary>Every src project is in the table and its ProjectReference items follow the table.</summary>
    public static IReadOnlyList<ArchitectureViolation> CheckProjectReferences(RepositoryLayout layout)
    {
        List<ArchitectureViolation> violations = [];
        foreach (ProjectFile project in layout.SourceProjects)
        {
            if (!ArchitectureTable.IsKnown(project.Name))
            {
                violations.Add(new ArchitectureViolation(ViolationKind.UnknownProject, project.Name, project.Name, project.RelativePath));
                continue;
            }

            foreach (string reference in project.ProjectReferences)
            {
                if (!ArchitectureTable.MayReference(project.Name, reference))
                {
                    violations.Add(new ArchitectureViolation(
                        ViolationKind.ForbiddenReference, project.Name, reference, $"ProjectReference in {project.RelativePath}"));
                }
            }
        }

        return violations;
    }

    /// <summary>
    /// Compiled assemblies reference only allowed Consortia assemblies, never a non-src Consortia assembly
    /// (TestKit, tests, benchmarks), and, outside the console hosts, no console library.
    /// </summary>
    public static IReadOnlyList<ArchitectureViolation> CheckAssemblyReferences(IEnumerable<CompiledAssembly> assemblies, RepositoryLayout layout)
    {
        // Assembly names are case-insensitive in .NET; Cli's is "consortia".
        Dictionary<string, string> projectByAssembly = layout.SourceProjects
            .ToDictionary(p => p.AssemblyName, p => p.Name, StringComparer.OrdinalIgnoreCase);
        HashSet<string> nonSourceAssemblies = new(
            layout.TestProjects.Concat(layout.OtherProjects).Select(p => p.AssemblyName), StringComparer.OrdinalIgnoreCase);

        List<ArchitectureViolation> violations = [];
        foreach (CompiledAssembly assembly in assemblies)
        {
            string evidence = $"assembly {assembly.AssemblyName}.dll";
            foreach (string reference in assembly.References)
            {
                if (projectByAssembly.TryGetValue(reference, out string? target))
                {
                    if (!ArchitectureTable.MayReference(assembly.Project, target))
                    {
                        violations.Add(new ArchitectureViolation(ViolationKind.ForbiddenReference, assembly.Project, target, evidence));
                    }
                }
                else if (nonSourceAssemblies.Contains(reference) || reference.StartsWith("Consortia.", StringComparison.OrdinalIgnoreCase))
                {
                    violations.Add(new ArchitectureViolation(ViolationKind.ForbiddenReference, assembly.Project, reference, evidence));
                }
                else if (ArchitectureTable.IsConsolePackage(reference) && !ArchitectureTable.ConsoleHosts.Contains(assembly.Project))
                {
                    violations.Add(new ArchitectureViolation(ViolationKind.ConsolePackage, assembly.Project, reference, evidence));
                }
            }
        }

        return violations;
    }

    /// <summary>No src project other than the console hosts has a PackageReference to a console library.</summary>
    public static IReadOnlyList<ArchitectureViolation> CheckConsolePackages(RepositoryLayout layout) =>
        [.. layout.SourceProjects
            .Where(p => !ArchitectureTable.ConsoleHosts.Contains(p.Name))
            .SelectMany(p => p.PackageReferences
                .Where(ArchitectureTable.IsConsolePackage)
                .Select(package => new ArchitectureViolation(ViolationKind.ConsolePackage, p.Name, package, $"PackageReference in {p.RelativePath}")))];

    /// <summary>Every src project X has tests/X.Tests/X.Tests.csproj.</summary>
    public static IReadOnlyList<ArchitectureViolation> CheckTestProjects(RepositoryLayout layout)
    {
        HashSet<string> tests = new(layout.TestProjects.Select(p => p.RelativePath), StringComparer.Ordinal);
        return [.. layout.SourceProjects
            .Select(p => (Project: p, Expected: $"tests/{p.Name}.Tests/{p.Name}.Tests.csproj"))
            .Where(x => !tests.Contains(x.Expected))
            .Select(x => new ArchitectureViolation(ViolationKind.MissingTestProject, x.Project.Name, x.Expected, x.Project.RelativePath))];
    }

    /// <summary>Every project under src/, tests/ and benchmarks/ is listed in the solution file.</summary>
    public static IReadOnlyList<ArchitectureViolation> CheckSolution(RepositoryLayout layout) =>
        [.. layout.SourceProjects.Concat(layout.TestProjects).Concat(layout.OtherProjects)
            .Where(p => !layout.SolutionEntries.Contains(p.RelativePath))
            .Select(p => new ArchitectureViolation(ViolationKind.NotInSolution, p.Name, p.RelativePath, RepositoryLayout.SolutionFileName))];
}
