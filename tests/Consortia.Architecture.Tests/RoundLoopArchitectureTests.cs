using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Consortia.Architecture.Tests;

/// <summary>
/// One round loop: only Federation's <c>JobRunner</c> advances rounds. Network (the deployed coordinator and node) runs
/// jobs through the runner and so never touches the round engine or commits a round itself.
/// </summary>
public sealed class RoundLoopArchitectureTests
{
    /// <summary>The members whose use means "runs or commits rounds": every member of the engine, and committing a round on any store.</summary>
    private static bool IsRoundLoopMember(string type, string member) =>
        string.Equals(type, "Consortia.Federation.Engine.RoundEngine", StringComparison.Ordinal)
        || string.Equals(member, "CommitRound", StringComparison.Ordinal);

    /// <summary>The round-loop members an assembly's code calls (its member references: a method is referenced only where it is used).</summary>
    private static List<string> RoundLoopCalls(string assemblyPath)
    {
        using FileStream file = File.OpenRead(assemblyPath);
        using PEReader pe = new(file);
        MetadataReader reader = pe.GetMetadataReader();
        List<string> calls = [];
        foreach (MemberReferenceHandle handle in reader.MemberReferences)
        {
            MemberReference reference = reader.GetMemberReference(handle);
            string member = reader.GetString(reference.Name);
            string type = reference.Parent.Kind switch
            {
                HandleKind.TypeReference => FullName(reader, reader.GetTypeReference((TypeReferenceHandle)reference.Parent)),
                HandleKind.TypeDefinition => FullName(reader, reader.GetTypeDefinition((TypeDefinitionHandle)reference.Parent)),
                _ => "",
            };
            if (IsRoundLoopMember(type, member))
            {
                calls.Add($"{type}.{member}");
            }
        }

        return calls;
    }

    private static string FullName(MetadataReader reader, TypeReference type) =>
        $"{reader.GetString(type.Namespace)}.{reader.GetString(type.Name)}";

    private static string FullName(MetadataReader reader, TypeDefinition type) =>
        $"{reader.GetString(type.Namespace)}.{reader.GetString(type.Name)}";

    private static string AssemblyPath(string name) => Path.Combine(AppContext.BaseDirectory, name + ".dll");

    [Fact]
    public void Network_HasNoRoundLoop_ItNeitherRunsRoundsNorCommitsThem()
    {
        List<string> calls = RoundLoopCalls(AssemblyPath("Consortia.Network"));

        Assert.True(calls.Count == 0, "Consortia.Network advances rounds itself (only Federation's JobRunner may): " + string.Join(", ", calls));
    }

    [Fact]
    public void TheCheck_SeesARoundLoop_WhereOneIsWritten()
    {
        // The check is not blind: this test assembly holds a small round loop (never run), and the check finds both calls.
        List<string> calls = RoundLoopCalls(typeof(RoundLoopArchitectureTests).Assembly.Location);

        Assert.Contains("Consortia.Federation.Jobs.Store.IJobStore.CommitRound", calls);
        Assert.Contains("Consortia.Federation.Engine.RoundEngine.RunRoundAsync", calls);
    }

    /// <summary>What the rule forbids in Network: a loop of its own that runs rounds with the engine and commits them.</summary>
    internal static async Task ARoundLoopOfItsOwn(
        Consortia.Federation.Engine.RoundEngine engine, Consortia.Federation.Jobs.Store.IJobStore store, Consortia.Federation.GlobalModel model,
        Consortia.Federation.Strategies.StrategyState state, Consortia.Learning.RandomSource random)
    {
        for (int r = 1; r <= 3; r++)
        {
            Consortia.Federation.RoundNumber round = new(r);
            (model, state, Consortia.Federation.Engine.RoundReport report) = await engine.RunRoundAsync(round, model, state, random, evaluate: true, CancellationToken.None);
            store.CommitRound("job", round, model, state, report);
        }
    }
}
