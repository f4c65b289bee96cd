using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Consortia.Yaml;

/// <summary>
/// A mapping node of a YAML file with its dotted path, giving typed access to its fields and errors that
/// name the file, the line and the field. Two ways to catch typos: <see cref="RejectUnknownKeys"/> against a
/// list of known keys, or <see cref="RejectUnreadKeys"/> for keys no getter asked for.
/// </summary>
public sealed partial class YamlSection
{
    private const int MaxSequenceItems = 10_000;

    private readonly YamlMappingNode _node;
    private readonly YamlErrorFactory _error;
    private readonly Dictionary<string, KeyValuePair<YamlNode, YamlNode>> _fields;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private YamlSection(string filePath, string path, YamlMappingNode node, YamlErrorFactory error)
    {
        FilePath = filePath;
        Path = path;
        _node = node;
        _error = error;
        _fields = new Dictionary<string, KeyValuePair<YamlNode, YamlNode>>(StringComparer.Ordinal);
        foreach (KeyValuePair<YamlNode, YamlNode> pair in node.Children)
        {
            if (pair.Key is not YamlScalarNode { Value: { } key })
            {
                throw Error(pair.Key, path, "keys must be plain strings");
            }

            _fields[key] = pair;
        }
    }

    /// <summary>The file, named in errors.</summary>
    public string FilePath { get; }

    /// <summary>The dotted path of this mapping (empty at the top).</summary>
    public string Path { get; }

    /// <summary>The keys present in this mapping.</summary>
    public IEnumerable<string> Keys => _fields.Keys;

    /// <summary>The 1-based line where this mapping starts.</summary>
    public long Line => _node.Start.Line;

    /// <summary>The 1-based column where this mapping starts.</summary>
    public long Column => _node.Start.Column;

    /// <summary>
    /// Every scalar value in this mapping and below it, in document order, with its node and its field path (mapping keys
    /// joined by dots, list items as <c>[i]</c>): for checks that apply to every value of a file, such as a placeholder
    /// left in a template. Keys are not values and are not returned.
    /// </summary>
    /// <returns>The scalars.</returns>
    public IEnumerable<(string Value, YamlNode Node, string Field)> ScalarValues() => ScalarsBelow(_node, Path);

    private static IEnumerable<(string Value, YamlNode Node, string Field)> ScalarsBelow(YamlNode node, string field)
    {
        switch (node)
        {
            case YamlScalarNode { Value: { } value }:
                yield return (value, node, field);
                break;
            case YamlMappingNode mapping:
                foreach (KeyValuePair<YamlNode, YamlNode> child in mapping.Children)
                {
                    string key = (child.Key as YamlScalarNode)?.Value ?? "?";
                    foreach ((string Value, YamlNode Node, string Field) item in ScalarsBelow(child.Value, field.Length == 0 ? key : field + "." + key))
                    {
                        yield return item;
                    }
                }

                break;
            case YamlSequenceNode sequence:
                for (int i = 0; i < sequence.Children.Count; i++)
                {
                    foreach ((string Value, YamlNode Node, string Field) item in ScalarsBelow(sequence.Children[i], field + "[" + i.ToString(CultureInfo.InvariantCulture) + "]"))
                    {
                        yield return item;
                    }
                }

                break;
        }
    }

    /// <summary>Parses <paramref name="text"/> and returns its root mapping.</summary>
    /// <param name="filePath">The file, named in errors.</param>
    /// <param name="text">The YAML text.</param>
    /// <param name="error">Creates the caller's exception for a located problem.</param>
    /// <returns>The root section.</returns>
    public static YamlSection LoadRoot(string filePath, string text, YamlErrorFactory error) =>
        new(filePath, string.Empty, YamlText.LoadMapping(filePath, text, error), error);

    /// <summary>The caller's exception for a problem at <paramref name="node"/>.</summary>
    /// <param name="node">Where the problem is.</param>
    /// <param name="field">The dotted field path.</param>
    /// <param name="problem">What is wrong and what was expected.</param>
    /// <returns>The exception to throw.</returns>
    public Exception Error(YamlNode node, string field, string problem) =>
        _error(FilePath, node.Start.Line, node.Start.Column, field, problem);

    /// <summary>The caller's exception for a problem with the value of <paramref name="key"/> (or this mapping when absent).</summary>
    /// <param name="key">The key in this mapping.</param>
    /// <param name="problem">What is wrong and what was expected.</param>
    /// <returns>The exception to throw.</returns>
    public Exception Error(string key, string problem) =>
        _fields.TryGetValue(key, out KeyValuePair<YamlNode, YamlNode> pair)
            ? Error(pair.Value, FieldPath(key), problem)
            : _error(FilePath, _node.Start.Line, _node.Start.Column, FieldPath(key), problem);

    /// <summary>The caller's exception for a problem located at the start of this mapping (e.g. a missing key).</summary>
    /// <param name="field">The dotted field path.</param>
    /// <param name="problem">What is wrong and what was expected.</param>
    /// <returns>The exception to throw.</returns>
    public Exception MappingError(string field, string problem) =>
        _error(FilePath, _node.Start.Line, _node.Start.Column, field, problem);

    /// <summary>The key node of <paramref name="key"/> (for errors about the key itself), or <see langword="null"/> when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The node.</returns>
    public YamlNode? KeyNode(string key) =>
        _fields.TryGetValue(key, out KeyValuePair<YamlNode, YamlNode> pair) ? pair.Key : null;

    /// <summary>A section over <paramref name="node"/> (e.g. one item of a list) when it is a mapping, reporting errors like this one.</summary>
    /// <param name="node">A node of this file.</param>
    /// <param name="path">The dotted path of the node.</param>
    /// <returns>The section, or <see langword="null"/> when the node is not a mapping.</returns>
    public YamlSection? AsSection(YamlNode node, string path) =>
        node is YamlMappingNode mapping ? new YamlSection(FilePath, path, mapping, _error) : null;

    /// <summary>The dotted path of <paramref name="key"/> in this mapping.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The path.</returns>
    public string FieldPath(string key) => Path.Length == 0 ? key : Path + "." + key;

    /// <summary>Whether <paramref name="key"/> is present with a non-null value.</summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> when present.</returns>
    public bool Has(string key) => _fields.TryGetValue(key, out KeyValuePair<YamlNode, YamlNode> pair) && !IsNull(pair.Value);

    /// <summary>Throws on the first key not in <paramref name="known"/> (usually a typo).</summary>
    /// <param name="known">The keys this mapping may hold.</param>
    public void RejectUnknownKeys(params string[] known)
    {
        foreach (KeyValuePair<string, KeyValuePair<YamlNode, YamlNode>> field in _fields)
        {
            if (Array.IndexOf(known, field.Key) < 0)
            {
                throw Error(field.Value.Key, FieldPath(field.Key), $"unknown field; expected one of: {string.Join(", ", known)}");
            }
        }
    }

    /// <summary>The value node of <paramref name="key"/>, or <see langword="null"/> when absent or null.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The node.</returns>
    public YamlNode? Node(string key) => Get(key) is { } node && !IsNull(node) ? node : null;

    /// <summary>The value node of <paramref name="key"/> as written (an empty value is an empty scalar), or <see langword="null"/> when absent; marks the key as read.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The node.</returns>
    public YamlNode? Get(string key)
    {
        _read.Add(key);
        return _fields.TryGetValue(key, out KeyValuePair<YamlNode, YamlNode> pair) ? pair.Value : null;
    }

    /// <summary>Throws on the first key that no getter asked for (usually a typo).</summary>
    /// <param name="problem">The reader's wording of the problem, e.g. where the known fields are documented.</param>
    public void RejectUnreadKeys(string problem)
    {
        foreach (KeyValuePair<string, KeyValuePair<YamlNode, YamlNode>> field in _fields)
        {
            if (!_read.Contains(field.Key))
            {
                throw Error(field.Value.Key, FieldPath(field.Key), problem);
            }
        }
    }

    /// <summary>The mapping under <paramref name="key"/>, or <see langword="null"/> when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The section.</returns>
    public YamlSection? OptionalSection(string key) => SectionAt(Node(key), key, "expected a mapping of fields");

    /// <summary>The mapping under <paramref name="key"/>; an error when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The section.</returns>
    public YamlSection RequiredSection(string key) =>
        OptionalSection(key) ?? throw Missing(key, "a mapping of fields");

    /// <summary>The trimmed, non-empty string under <paramref name="key"/>, or <see langword="null"/> when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value.</returns>
    public string? OptionalString(string key)
    {
        YamlNode? node = Node(key);
        return node switch
        {
            null => null,
            YamlScalarNode { Value: { } value } when value.Trim().Length > 0 => value.Trim(),
            YamlScalarNode => throw Error(node, FieldPath(key), "expected a non-empty string"),
            _ => throw Error(node, FieldPath(key), "expected a string"),
        };
    }

    /// <summary>The trimmed, non-empty string under <paramref name="key"/>; an error when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value.</returns>
    public string RequiredString(string key) => OptionalString(key) ?? throw Missing(key, "a string");

    /// <summary>The integer in [<paramref name="min"/>, <paramref name="max"/>] under <paramref name="key"/>, or <see langword="null"/> when absent.</summary>
    /// <param name="key">The key.</param>
    /// <param name="min">The smallest allowed value.</param>
    /// <param name="max">The largest allowed value.</param>
    /// <returns>The value.</returns>
    public long? OptionalInteger(string key, long min, long max)
    {
        YamlNode? node = Node(key);
        if (node is null)
        {
            return null;
        }

        string text = Scalar(node, key, "an integer");
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            throw Error(node, FieldPath(key), $"expected an integer, got '{text}'");
        }

        if (value < min || value > max)
        {
            throw Error(node, FieldPath(key), $"expected an integer from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}, got {text}");
        }

        return value;
    }

    /// <summary>The integer in [<paramref name="min"/>, <paramref name="max"/>] under <paramref name="key"/>; an error when absent.</summary>
    /// <param name="key">The key.</param>
    /// <param name="min">The smallest allowed value.</param>
    /// <param name="max">The largest allowed value.</param>
    /// <returns>The value.</returns>
    public long RequiredInteger(string key, long min, long max) =>
        OptionalInteger(key, min, max) ?? throw Missing(key, "an integer");

    /// <summary>The finite number in (<paramref name="minExclusive"/>, <paramref name="max"/>] under <paramref name="key"/>, or <see langword="null"/> when absent.</summary>
    /// <param name="key">The key.</param>
    /// <param name="minExclusive">The value must be greater than this.</param>
    /// <param name="max">The largest allowed value.</param>
    /// <returns>The value.</returns>
    public double? OptionalNumber(string key, double minExclusive, double max)
    {
        YamlNode? node = Node(key);
        if (node is null)
        {
            return null;
        }

        string text = Scalar(node, key, "a number");
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw Error(node, FieldPath(key), $"expected a finite number, got '{text}'");
        }

        if (value <= minExclusive || value > max)
        {
            throw Error(node, FieldPath(key), $"expected a number greater than {minExclusive.ToString(CultureInfo.InvariantCulture)} and at most {max.ToString(CultureInfo.InvariantCulture)}, got {text}");
        }

        return value;
    }

    /// <summary>The finite number in (<paramref name="minExclusive"/>, <paramref name="max"/>] under <paramref name="key"/>; an error when absent.</summary>
    /// <param name="key">The key.</param>
    /// <param name="minExclusive">The value must be greater than this.</param>
    /// <param name="max">The largest allowed value.</param>
    /// <returns>The value.</returns>
    public double RequiredNumber(string key, double minExclusive, double max) =>
        OptionalNumber(key, minExclusive, max) ?? throw Missing(key, "a number");

    /// <summary>The boolean (true/false, yes/no) under <paramref name="key"/>, or <see langword="null"/> when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value.</returns>
    public bool? OptionalBoolean(string key)
    {
        YamlNode? node = Node(key);
        return node is null ? null : ParseBoolean(node, FieldPath(key));
    }

    /// <summary>The boolean (true/false, yes/no) under <paramref name="key"/>; an error when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value.</returns>
    public bool RequiredBoolean(string key) => OptionalBoolean(key) ?? throw Missing(key, "true or false");

    /// <summary>Reads <paramref name="node"/> as a boolean (true/false, yes/no).</summary>
    /// <param name="node">The node.</param>
    /// <param name="field">The dotted field path, for errors.</param>
    /// <returns>The value.</returns>
    public bool ParseBoolean(YamlNode node, string field)
    {
        if (node is YamlScalarNode { Value: { } raw })
        {
            string text = raw.Trim();
            if (text.Equals("true", StringComparison.OrdinalIgnoreCase) || text.Equals("yes", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (text.Equals("false", StringComparison.OrdinalIgnoreCase) || text.Equals("no", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            throw Error(node, field, $"expected true/false (or yes/no), got '{text}'");
        }

        throw Error(node, field, "expected true/false (or yes/no)");
    }

    /// <summary>Reads a list of strings; a single scalar is accepted as a one-item list.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The values, or <see langword="null"/> when absent.</returns>
    public IReadOnlyList<string>? OptionalStringList(string key) =>
        OptionalStringItems(key)?.Select(item => item.Value).ToList();

    /// <summary>Reads a list of strings with each item's node (for errors that point at one item).</summary>
    /// <param name="key">The key.</param>
    /// <returns>The items, or <see langword="null"/> when absent.</returns>
    public IReadOnlyList<(string Value, YamlNode Node, string Field)>? OptionalStringItems(string key)
    {
        YamlNode? node = Node(key);
        if (node is null)
        {
            return null;
        }

        if (node is YamlScalarNode)
        {
            return [(Scalar(node, key, "a list of strings"), node, FieldPath(key))];
        }

        if (node is not YamlSequenceNode sequence)
        {
            throw Error(node, FieldPath(key), "expected a list of strings");
        }

        if (sequence.Children.Count > MaxSequenceItems)
        {
            throw Error(node, FieldPath(key), $"expected at most {MaxSequenceItems} items");
        }

        List<(string Value, YamlNode Node, string Field)> items = new(sequence.Children.Count);
        for (int i = 0; i < sequence.Children.Count; i++)
        {
            YamlNode item = sequence.Children[i];
            string field = FieldPath(key) + "[" + i.ToString(CultureInfo.InvariantCulture) + "]";
            if (item is not YamlScalarNode { Value: { } value } || value.Trim().Length == 0)
            {
                throw Error(item, field, "expected a non-empty string");
            }

            items.Add((value.Trim(), item, field));
        }

        return items;
    }

    /// <summary>The non-empty list of strings under <paramref name="key"/>, each with its node and field path; an error when absent or empty.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The items.</returns>
    public IReadOnlyList<(string Value, YamlNode Node, string Field)> RequiredNonEmptyStringItems(string key)
    {
        IReadOnlyList<(string Value, YamlNode Node, string Field)> list = OptionalStringItems(key) ?? throw Missing(key, "a non-empty list of strings");
        if (list.Count == 0)
        {
            throw Error(key, "expected a non-empty list of strings");
        }

        return list;
    }

    /// <summary>The list of mappings under <paramref name="key"/>, or <see langword="null"/> when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The sections.</returns>
    public IReadOnlyList<YamlSection>? OptionalSectionList(string key)
    {
        YamlNode? node = Node(key);
        if (node is null)
        {
            return null;
        }

        if (node is not YamlSequenceNode sequence)
        {
            throw Error(node, FieldPath(key), "expected a list of mappings");
        }

        if (sequence.Children.Count > MaxSequenceItems)
        {
            throw Error(node, FieldPath(key), $"expected at most {MaxSequenceItems} items");
        }

        List<YamlSection> sections = new(sequence.Children.Count);
        for (int i = 0; i < sequence.Children.Count; i++)
        {
            string field = FieldPath(key) + "[" + i.ToString(CultureInfo.InvariantCulture) + "]";
            if (sequence.Children[i] is not YamlMappingNode mapping)
            {
                throw Error(sequence.Children[i], field, "expected a mapping of fields");
            }

            sections.Add(new YamlSection(FilePath, field, mapping, _error));
        }

        return sections;
    }

    private YamlSection? SectionAt(YamlNode? node, string key, string notAMapping) => node switch
    {
        null => null,
        YamlMappingNode mapping => new YamlSection(FilePath, FieldPath(key), mapping, _error),
        _ => throw Error(node, FieldPath(key), notAMapping),
    };

    private string Scalar(YamlNode node, string key, string expected) =>
        node is YamlScalarNode { Value: { } value } && value.Trim().Length > 0
            ? value.Trim()
            : throw Error(node, FieldPath(key), $"expected {expected}");

    private Exception Missing(string key, string expected) =>
        _error(FilePath, _node.Start.Line, _node.Start.Column, FieldPath(key), $"required field is missing; expected {expected}");

    private static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain, Value: var value }
        && (value is null || value.Length == 0 || value == "~" || value.Equals("null", StringComparison.Ordinal));
}
