using Consortia.Yaml;
using YamlDotNet.RepresentationModel;

namespace Consortia.Federation.Jobs;

/// <summary>Applies dotted-key overrides (<c>training.optimizer.learning_rate=0.05</c>) to job YAML.</summary>
/// <remarks>
/// Overrides edit the YAML tree and the result is parsed again by <see cref="JobFile"/>, so an override gets
/// exactly the validation and error messages of a hand-written job file.
/// </remarks>
public static class JobOverrides
{
    /// <summary>Returns the job text with the overrides applied.</summary>
    /// <param name="text">The job YAML.</param>
    /// <param name="overrides">Dotted keys and their new scalar values; lists are written as <c>[a, b]</c>.</param>
    /// <returns>The new YAML text.</returns>
    /// <exception cref="ArgumentException">The text is not YAML holding a mapping, or a key descends into a non-mapping.</exception>
    public static string Apply(string text, IEnumerable<KeyValuePair<string, string>> overrides)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(overrides);
        return YamlText.Edit("the job", text, (file, line, column, field, problem) =>
            new ArgumentException(YamlText.FormatError(file, line, column, field, problem), nameof(text)), root => Set(root, overrides));
    }

    private static void Set(YamlMappingNode root, IEnumerable<KeyValuePair<string, string>> overrides)
    {
        foreach ((string key, string value) in overrides)
        {
            string[] path = key.Split('.');
            YamlMappingNode node = root;
            for (int i = 0; i < path.Length - 1; i++)
            {
                YamlScalarNode name = new(path[i]);
                if (!node.Children.TryGetValue(name, out YamlNode? child))
                {
                    child = new YamlMappingNode();
                    node.Children[name] = child;
                }

                node = child as YamlMappingNode ?? throw new ArgumentException($"'{string.Join('.', path[..(i + 1)])}' is not a section, so '{key}' cannot be set.", nameof(overrides));
            }

            node.Children[new YamlScalarNode(path[^1])] = value.StartsWith('[')
                ? new YamlSequenceNode(value.Trim('[', ']').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(v => new YamlScalarNode(v)))
                : new YamlScalarNode(value);
        }
    }
}
