namespace Consortia.Architecture.Tests;

/// <summary>One broken architecture rule, phrased for a test failure message.</summary>
/// <param name="Kind">The rule.</param>
/// <param name="Project">The project at fault.</param>
/// <param name="Target">What it references or lacks (a project, package, assembly or path).</param>
/// <param name="Evidence">Where the problem was seen (a project file or an assembly).</param>
internal sealed record ArchitectureViolation(ViolationKind Kind, string Project, string Target, string Evidence)
{
    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        ViolationKind.ForbiddenReference =>
            $"{Project} → {Target} ({Evidence}) is not allowed by docs/architecture.md; {Project} may reference: {Allowed(Project)}.",
        ViolationKind.UnknownProject =>
            $"{Project} ({Evidence}) is not in the architecture table; add it to docs/architecture.md and ArchitectureTable.",
        ViolationKind.ConsolePackage =>
            $"{Project} uses console library {Target} ({Evidence}); only {string.Join(", ", ArchitectureTable.ConsoleHosts)} may.",
        ViolationKind.MissingTestProject =>
            $"{Project} has no test project; expected {Target}.",
        ViolationKind.NotInSolution =>
            $"{Target} is not listed in {RepositoryLayout.SolutionFileName}.",
        ViolationKind.AssemblyNotBuilt =>
            $"{Project}: {Target} is not in the test output ({Evidence}); reference the project from Consortia.Cli (Cli → all) so its compiled references are checked.",
        _ => $"{Kind}: {Project} → {Target} ({Evidence})",
    };

    private static string Allowed(string project)
    {
        IReadOnlySet<string> allowed = ArchitectureTable.AllowedReferences(project);
        return allowed.Count == 0 ? "nothing" : string.Join(", ", allowed.Order(StringComparer.Ordinal));
    }
}
