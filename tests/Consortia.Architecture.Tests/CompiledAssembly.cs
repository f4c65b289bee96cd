namespace Consortia.Architecture.Tests;

/// <summary>A built assembly of a source project and the names of the assemblies it references.</summary>
/// <param name="Project">The source project that produced it.</param>
/// <param name="AssemblyName">Its assembly name.</param>
/// <param name="References">The simple names from <c>Assembly.GetReferencedAssemblies()</c>.</param>
internal sealed record CompiledAssembly(string Project, string AssemblyName, IReadOnlyList<string> References);
