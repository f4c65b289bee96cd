using System.Reflection;

namespace Consortia.Architecture.Tests;

/// <summary>Loads the built assemblies of the source projects from the test's own output folder.</summary>
/// <remarks>
/// The test project references Consortia.Cli, which references (directly or not) every other source
/// project, so all of their assemblies are copied next to the tests and listed in the test's deps.json.
/// </remarks>
internal static class CompiledAssemblyLoader
{
    /// <summary>Loads one assembly per source project, or reports the projects whose assembly is missing.</summary>
    public static (IReadOnlyList<CompiledAssembly> Assemblies, IReadOnlyList<ArchitectureViolation> Missing) Load(
        RepositoryLayout layout, string outputDirectory)
    {
        List<CompiledAssembly> assemblies = [];
        List<ArchitectureViolation> missing = [];
        foreach (ProjectFile project in layout.SourceProjects)
        {
            string file = Path.Combine(outputDirectory, project.AssemblyName + ".dll");
            if (!File.Exists(file))
            {
                missing.Add(new ArchitectureViolation(ViolationKind.AssemblyNotBuilt, project.Name, project.AssemblyName + ".dll", outputDirectory));
                continue;
            }

            Assembly assembly = Assembly.Load(new AssemblyName(project.AssemblyName));
            string[] references = [.. assembly.GetReferencedAssemblies().Select(a => a.Name).OfType<string>()];
            assemblies.Add(new CompiledAssembly(project.Name, assembly.GetName().Name ?? project.AssemblyName, references));
        }

        return (assemblies, missing);
    }
}
