using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Consortia.Architecture.Tests;

/// <summary>
/// The wire contract's generated protobuf types stay inside Consortia.Network: the CLI (and every other
/// project) talks to Network through domain types, so a change of the wire format never ripples outward.
/// </summary>
public sealed class ProtobufBoundaryTests
{
    private const string ProtosNamespace = "Consortia.Network.Protos";

    [Fact]
    public void Cli_ReferencesNoProtobufType()
    {
        string cli = Path.Combine(AppContext.BaseDirectory, "consortia.dll");

        IReadOnlyList<string> used = ProtobufTypesReferencedBy(cli);

        Assert.True(used.Count == 0, $"{cli} uses types of {ProtosNamespace}: {string.Join(", ", used)}; use Network's domain records instead.");
    }

    [Fact]
    public void ProtosNamespace_IsWhereNetworkDefinesItsWireTypes()
    {
        // Guards the check above: a misspelt namespace would make it pass whatever the CLI uses.
        string network = Path.Combine(AppContext.BaseDirectory, "Consortia.Network.dll");

        Assert.Contains(ProtosNamespace + ".JobStatus", ProtobufTypesReferencedBy(network, definitions: true));
    }

    /// <summary>
    /// The protobuf types an assembly's metadata refers to: every use of a type from another assembly (in a
    /// signature, a field, a local, a call, a generic argument) goes through a TypeReference row, so the table
    /// lists them all without running or decompiling anything. With <paramref name="definitions"/>, the types
    /// it defines in that namespace (to check the check on Network itself).
    /// </summary>
    private static IReadOnlyList<string> ProtobufTypesReferencedBy(string path, bool definitions = false)
    {
        using FileStream stream = File.OpenRead(path);
        using PEReader pe = new(stream);
        MetadataReader metadata = pe.GetMetadataReader();
        IEnumerable<(StringHandle Namespace, StringHandle Name)> types = definitions
            ? metadata.TypeDefinitions.Select(h => metadata.GetTypeDefinition(h)).Select(t => (t.Namespace, t.Name))
            : metadata.TypeReferences.Select(h => metadata.GetTypeReference(h)).Select(t => (Outer(metadata, t).Namespace, t.Name));
        return [.. types
            .Where(t => metadata.GetString(t.Namespace) == ProtosNamespace)
            .Select(t => ProtosNamespace + "." + metadata.GetString(t.Name))
            .Distinct()
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>A nested type's reference has an empty namespace; its outermost enclosing type has the real one.</summary>
    private static TypeReference Outer(MetadataReader metadata, TypeReference type)
    {
        while (type.ResolutionScope.Kind == HandleKind.TypeReference)
        {
            type = metadata.GetTypeReference((TypeReferenceHandle)type.ResolutionScope);
        }

        return type;
    }
}
