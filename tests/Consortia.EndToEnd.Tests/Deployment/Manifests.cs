using System.Globalization;
using System.Text;
using YamlDotNet.RepresentationModel;

namespace Consortia.EndToEnd.Tests.Deployment;

/// <summary>Navigation over YamlDotNet's node model, forgiving of absent keys (absent reads as null / empty).</summary>
internal static class YamlNav
{
    /// <summary>The node at a path of mapping keys, or null.</summary>
    public static YamlNode? At(this YamlNode? node, params string[] path)
    {
        foreach (string key in path)
        {
            if (node is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? next))
            {
                return null;
            }

            node = next;
        }

        return node;
    }

    /// <summary>A scalar's text, or null.</summary>
    public static string? Text(this YamlNode? node) => (node as YamlScalarNode)?.Value;

    /// <summary>A sequence's items (empty when absent).</summary>
    public static IReadOnlyList<YamlNode> Items(this YamlNode? node) => node is YamlSequenceNode seq ? [.. seq.Children] : [];

    /// <summary>A mapping of scalars as a dictionary (empty when absent).</summary>
    public static IReadOnlyDictionary<string, string> Pairs(this YamlNode? node) =>
        node is YamlMappingNode map
            ? map.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value ?? "", kv => (kv.Value as YamlScalarNode)?.Value ?? "")
            : new Dictionary<string, string>();

    /// <summary>Whether the mapping has the key at all.</summary>
    public static bool Has(this YamlNode? node, string key) => node is YamlMappingNode map && map.Children.ContainsKey(new YamlScalarNode(key));

    /// <summary>Parses one YAML document (e.g. a ConfigMap's file) into its root node.</summary>
    public static YamlNode ParseDocument(string yaml)
    {
        YamlStream stream = [];
        stream.Load(new StringReader(yaml));
        return stream.Documents.Single().RootNode;
    }
}

/// <summary>One Kubernetes object of a rendered manifest.</summary>
internal sealed class K8sObject(YamlMappingNode root)
{
    public YamlMappingNode Root { get; } = root;

    public string Kind => Root.At("kind").Text() ?? "";

    public string Name => Root.At("metadata", "name").Text() ?? "";

    public string? Namespace => Root.At("metadata", "namespace").Text();

    public IReadOnlyDictionary<string, string> Labels => Root.At("metadata", "labels").Pairs();

    /// <summary>For workloads: the pod template's spec.</summary>
    public YamlNode PodSpec => Root.At("spec", "template", "spec") ?? throw new InvalidOperationException($"{this} has no pod template");

    public IReadOnlyDictionary<string, string> PodLabels => Root.At("spec", "template", "metadata", "labels").Pairs();

    public IReadOnlyList<YamlNode> Containers => PodSpec.At("containers").Items();

    public IReadOnlyList<YamlNode> InitContainers => PodSpec.At("initContainers").Items();

    public IEnumerable<YamlNode> AllContainers => InitContainers.Concat(Containers);

    public YamlNode Container(string name) =>
        AllContainers.SingleOrDefault(c => c.At("name").Text() == name) ?? throw new InvalidOperationException($"{this} has no container {name}");

    public YamlNode Volume(string name) =>
        PodSpec.At("volumes").Items().SingleOrDefault(v => v.At("name").Text() == name) ?? throw new InvalidOperationException($"{this} has no volume {name}");

    /// <summary>A ConfigMap's or Secret's data entry (Secrets are base64-decoded).</summary>
    public string Data(string key)
    {
        string value = Root.At("data", key).Text() ?? throw new InvalidOperationException($"{this} has no data key {key}");
        return Kind == "Secret" ? Encoding.UTF8.GetString(Convert.FromBase64String(value)) : value;
    }

    public override string ToString() => $"{Kind} {Namespace}/{Name}";
}

/// <summary>The objects that <c>kubectl kustomize</c> printed for one folder.</summary>
internal sealed class Rendered(IReadOnlyList<K8sObject> objects, string source)
{
    public IReadOnlyList<K8sObject> Objects { get; } = objects;

    public string Source { get; } = source;

    public static Rendered Parse(string yaml, string source)
    {
        YamlStream stream = [];
        stream.Load(new StringReader(yaml));
        List<K8sObject> objects = [.. stream.Documents.Select(d => d.RootNode).OfType<YamlMappingNode>().Select(m => new K8sObject(m))];
        Assert.True(objects.Count > 0, $"kubectl kustomize {source} rendered no object");
        return new Rendered(objects, source);
    }

    public IReadOnlyList<K8sObject> OfKind(string kind) => [.. Objects.Where(o => o.Kind == kind)];

    /// <summary>The one object of <paramref name="kind"/> (whose name ends with <paramref name="nameSuffix"/>, when given).</summary>
    public K8sObject Single(string kind, string? nameSuffix = null)
    {
        K8sObject[] found = [.. OfKind(kind).Where(o => nameSuffix is null || o.Name.EndsWith(nameSuffix, StringComparison.Ordinal))];
        Assert.True(found.Length == 1, $"{Source}: expected one {kind}{(nameSuffix is null ? "" : " named *" + nameSuffix)}, found {found.Length}: {string.Join(", ", found.Select(o => o.Name))}");
        return found[0];
    }

    /// <summary>The object of <paramref name="kind"/> named exactly <paramref name="name"/>.</summary>
    public K8sObject Named(string kind, string name) =>
        OfKind(kind).SingleOrDefault(o => o.Name == name) ?? throw new Xunit.Sdk.XunitException($"{Source}: no {kind} named {name} (a dangling reference?)");
}

/// <summary>Reads of pod-spec details shared by the tests.</summary>
internal static class PodChecks
{
    /// <summary>A probe's or port reference's number, resolving a named port against the container's ports.</summary>
    public static int ResolvePort(YamlNode container, YamlNode? port)
    {
        string text = port.Text() ?? throw new Xunit.Sdk.XunitException("a probe without a port");
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            return number;
        }

        YamlNode named = container.At("ports").Items().SingleOrDefault(p => p.At("name").Text() == text)
            ?? throw new Xunit.Sdk.XunitException($"container {container.At("name").Text()} has no port named {text}");
        return int.Parse(named.At("containerPort").Text()!, CultureInfo.InvariantCulture);
    }

    /// <summary>Where a volume is mounted in a container, or null.</summary>
    public static YamlNode? Mount(YamlNode container, string volume) =>
        container.At("volumeMounts").Items().SingleOrDefault(m => m.At("name").Text() == volume);

    /// <summary>Whether <paramref name="selector"/> (matchLabels) selects a pod with <paramref name="labels"/>.</summary>
    public static bool Selects(IReadOnlyDictionary<string, string> selector, IReadOnlyDictionary<string, string> labels) =>
        selector.All(kv => labels.TryGetValue(kv.Key, out string? v) && v == kv.Value);
}
