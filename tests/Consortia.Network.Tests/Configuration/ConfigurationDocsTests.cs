using System.Reflection;
using Consortia.Network.Configuration;
using Consortia.TestKit;
using YamlDotNet.Serialization.NamingConventions;

namespace Consortia.Network.Tests.Configuration;

/// <summary>
/// docs/configuration.md documents every key of coordinator.yaml and site.yaml: the keys are read from the
/// configuration classes, as their YAML reader names them, so a new property without a line in the docs fails here.
/// </summary>
public sealed class ConfigurationDocsTests
{
    private static readonly string s_docs = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "configuration.md"));

    [Theory]
    [InlineData(typeof(CoordinatorConfig), "coordinator.yaml")]
    [InlineData(typeof(NodeConfig), "site.yaml")]
    public void EveryKey_HasARowInItsFilesTable(Type config, string file)
    {
        string table = Section(file);
        string[] keys = [.. Keys(config, "")];
        Assert.NotEmpty(keys);
        string[] missing = [.. keys.Where(k => !table.Contains($"| `{k}` |", StringComparison.Ordinal))];
        Assert.True(missing.Length == 0, $"docs/configuration.md, section `{file}`: no row for {string.Join(", ", missing)}");
    }

    [Fact]
    public void TheKeysAreFoundThroughNestedSections()
    {
        // Guards the reflection above: a nested section's keys come out dotted, as the docs write them.
        Assert.Contains("listen.admin", Keys(typeof(CoordinatorConfig), ""));
        Assert.Contains("store.connection_env", Keys(typeof(CoordinatorConfig), ""));
        Assert.Contains("approval.notify_webhook", Keys(typeof(NodeConfig), ""));
        Assert.DoesNotContain("seeded_randomness", Keys(typeof(NodeConfig), "")); // computed, read-only: not a key
    }

    /// <summary>The YAML keys of a configuration class: its settable public properties, dotted into nested sections.</summary>
    private static IEnumerable<string> Keys(Type type, string prefix)
    {
        foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.SetMethod?.IsPublic == true))
        {
            string key = prefix + UnderscoredNamingConvention.Instance.Apply(property.Name);
            yield return key;
            Type value = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (value.IsClass && value != typeof(string) && value.Namespace == typeof(CoordinatorConfig).Namespace)
            {
                foreach (string nested in Keys(value, key + "."))
                {
                    yield return nested;
                }
            }
        }
    }

    /// <summary>The part of the docs under the heading that names <paramref name="file"/>, up to the next heading of that level.</summary>
    private static string Section(string file)
    {
        int start = s_docs.IndexOf($"## `{file}`", StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/configuration.md has no section \"## `{file}`\"");
        int end = s_docs.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
        return end < 0 ? s_docs[start..] : s_docs[start..end];
    }
}
