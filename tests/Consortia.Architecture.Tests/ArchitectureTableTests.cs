namespace Consortia.Architecture.Tests;

/// <summary>The table is internally consistent and reads as architecture.md says.</summary>
public sealed class ArchitectureTableTests
{
    [Fact]
    public void DependsOn_EveryListedDependency_IsAProjectOfTheTable()
    {
        string[] unknown = [.. ArchitectureTable.DependsOn
            .SelectMany(row => row.Value.Where(d => d != ArchitectureTable.AllProjects && !ArchitectureTable.IsKnown(d)).Select(d => $"{row.Key} → {d}"))];

        Assert.Empty(unknown);
    }

    [Fact]
    public void AllowedReferences_NoProject_ReachesItself()
    {
        string[] cyclic = [.. ArchitectureTable.DependsOn.Keys
            .Where(p => p != "Consortia.Cli" && ArchitectureTable.AllowedReferences(p).Contains(p))];

        Assert.Empty(cyclic);
    }

    [Theory]
    [InlineData("Consortia.Learning")]
    [InlineData("Consortia.SecureAggregation")]
    [InlineData("Consortia.Yaml")]
    public void AllowedReferences_FoundationProjects_AreEmpty(string project)
    {
        Assert.Empty(ArchitectureTable.AllowedReferences(project));
    }

    [Fact]
    public void AllowedReferences_Network_IncludesFederationAndWhatFederationMayUse()
    {
        IReadOnlySet<string> allowed = ArchitectureTable.AllowedReferences("Consortia.Network");

        Assert.Equal(
            ["Consortia.Dashboard", "Consortia.Data", "Consortia.Federation", "Consortia.Governance", "Consortia.Learning", "Consortia.Privacy", "Consortia.SecureAggregation", "Consortia.Stores.PostgreSql", "Consortia.Yaml"],
            allowed.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AllowedReferences_Cli_IsEveryOtherProject()
    {
        IReadOnlySet<string> allowed = ArchitectureTable.AllowedReferences("Consortia.Cli");

        Assert.Equal(ArchitectureTable.DependsOn.Keys.Where(p => p != "Consortia.Cli").Order(StringComparer.Ordinal), allowed.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("Spectre.Console", true)]
    [InlineData("Spectre.Console.Cli", true)]
    [InlineData("system.console", true)]
    [InlineData("System.CommandLine", true)]
    [InlineData("Spectre.ConsoleX", false)]
    [InlineData("System.Runtime", false)]
    [InlineData("YamlDotNet", false)]
    public void IsConsolePackage_Name_MatchesWholeIdOrDottedExtension(string id, bool expected)
    {
        Assert.Equal(expected, ArchitectureTable.IsConsolePackage(id));
    }
}
