using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Consortia.Architecture.Tests;

/// <summary>
/// Rules of issue 11 checked on the built assemblies: the CLI parses, composes and prints (measurement lives with
/// the benchmarks), YAML is parsed in one helper project, and a job is described one way (no second job reader).
/// </summary>
public sealed class HostAndReaderRulesTests
{
    private const string YamlHelper = "Consortia.Yaml";

    private static readonly Lazy<RepositoryLayout> s_layout =
        new(() => RepositoryLayout.Load(RepositoryLayout.FindRoot(AppContext.BaseDirectory)));

    /// <summary>Types that time or benchmark code: a command that uses them measures instead of printing.</summary>
    private static readonly string[] s_measurementTypes =
    [
        "System.Diagnostics.Stopwatch",
        "BenchmarkDotNet.",
        "System.Diagnostics.Metrics.Histogram",
    ];

    [Fact]
    public void Cli_References_NoTimingOrBenchmarkApi()
    {
        string[] found = [.. TypeReferences("Consortia.Cli").Where(t => s_measurementTypes.Any(m => t.StartsWith(m, StringComparison.Ordinal)))];

        Assert.True(found.Length == 0, "Consortia.Cli measures (move it to Federation/Benchmarking or benchmarks/): " + string.Join(", ", found));
    }

    [Fact]
    public void YamlParsing_OutsideTheYamlHelper_IsAbsent()
    {
        string[] offenders =
        [
            .. s_layout.Value.SourceProjects
                .Where(p => p.Name != YamlHelper)
                .Where(p => TypeReferences(p.Name).Contains("YamlDotNet.RepresentationModel.YamlStream"))
                .Select(p => p.Name),
        ];

        Assert.True(offenders.Length == 0, $"Parse YAML through {YamlHelper} (YamlText), not YamlStream: " + string.Join(", ", offenders));
        Assert.Contains(s_layout.Value.SourceProjects, p => p.Name == YamlHelper);
    }

    [Fact]
    public void YamlFieldReader_OutsideTheYamlHelper_IsAbsent()
    {
        string[] copies =
        [
            .. s_layout.Value.SourceProjects
                .Where(p => p.Name != YamlHelper)
                .SelectMany(p => TypeDefinitions(p.Name).Select(t => $"{p.Name}: {t}"))
                .Where(t => t.EndsWith("YamlSection", StringComparison.Ordinal)),
        ];

        Assert.True(copies.Length == 0, $"Read YAML fields through {YamlHelper}'s YamlSection, not a copy of it: " + string.Join(", ", copies));
    }

    [Fact]
    public void YamlMappingWalk_OutsideTheYamlHelper_IsLimitedToConfigAndJobOverrides()
    {
        // Readers walk mappings through YamlSection. Left: Network's ConfigFile (deserialises with YamlDotNet) and
        // Federation's JobOverrides (edits the tree through YamlText.Edit before the job file is read).
        string[] allowed = [YamlHelper, "Consortia.Network", "Consortia.Federation"];
        string[] offenders =
        [
            .. s_layout.Value.SourceProjects
                .Where(p => !allowed.Contains(p.Name))
                .Where(p => TypeReferences(p.Name).Contains("YamlDotNet.RepresentationModel.YamlMappingNode"))
                .Select(p => p.Name),
        ];

        Assert.True(offenders.Length == 0, $"Walk YAML mappings through {YamlHelper}'s YamlSection: " + string.Join(", ", offenders));
    }

    [Fact]
    public void JobDescription_SecondJobReader_IsAbsent()
    {
        string[] readers =
        [
            .. s_layout.Value.SourceProjects
                .SelectMany(p => TypeDefinitions(p.Name).Select(t => $"{p.Name}: {t}"))
                .Where(t => t.EndsWith(".JobManifestReader", StringComparison.Ordinal)),
        ];

        Assert.True(readers.Length == 0, "A job is read by JobFile and described by JobDefinition.Describe() only: " + string.Join(", ", readers));
    }

    private static string AssemblyPath(string project)
    {
        ProjectFile file = s_layout.Value.SourceProjects.Single(p => p.Name == project);
        string path = Path.Combine(AppContext.BaseDirectory, file.AssemblyName + ".dll");
        Assert.True(File.Exists(path), $"{path} was not built next to the tests.");
        return path;
    }

    private static HashSet<string> TypeReferences(string project)
    {
        using PEReader pe = new(File.OpenRead(AssemblyPath(project)));
        MetadataReader metadata = pe.GetMetadataReader();
        return [.. metadata.TypeReferences.Select(h => metadata.GetTypeReference(h)).Select(t => FullName(metadata, t.Namespace, t.Name))];
    }

    private static List<string> TypeDefinitions(string project)
    {
        using PEReader pe = new(File.OpenRead(AssemblyPath(project)));
        MetadataReader metadata = pe.GetMetadataReader();
        return [.. metadata.TypeDefinitions.Select(h => metadata.GetTypeDefinition(h)).Select(t => FullName(metadata, t.Namespace, t.Name))];
    }

    private static string FullName(MetadataReader metadata, StringHandle ns, StringHandle name) =>
        ns.IsNil ? metadata.GetString(name) : metadata.GetString(ns) + "." + metadata.GetString(name);
}
