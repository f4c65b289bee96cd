using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Consortia.Federation.Jobs;

/// <summary>
/// Reads typed values from one YAML mapping, remembering which keys were read so that unknown keys
/// (usually typos) are reported instead of silently ignored. Every error names file, line and field.
/// </summary>
internal sealed class YamlSection
{
    private readonly YamlMappingNode _node;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public YamlSection(string file, string path, YamlMappingNode node)
    {
        File = file;
        Path = path;
        _node = node;
    }

    public string File { get; }

    public string Path { get; }

    public YamlMappingNode Node => _node;

    public JobFileException Error(YamlNode? at, string key, string problem)
    {
        YamlNode where = at ?? _node;
        return new JobFileException(File, (int)where.Start.Line, (int)where.Start.Column, FieldPath(key), problem);
    }

    public string FieldPath(string key) => string.IsNullOrEmpty(Path) ? key : $"{Path}.{key}";

    public YamlNode? Get(string key)
    {
        _read.Add(key);
        return _node.Children.TryGetValue(new YamlScalarNode(key), out YamlNode? value) ? value : null;
    }

    public bool Has(string key) => _node.Children.ContainsKey(new YamlScalarNode(key));

    public YamlSection? Section(string key)
    {
        YamlNode? node = Get(key);
        return node switch
        {
            null => null,
            YamlMappingNode mapping => new YamlSection(File, FieldPath(key), mapping),
            _ => throw Error(node, key, "expected a mapping (key: value lines)."),
        };
    }

    public YamlSection RequireSection(string key) =>
        Section(key) ?? throw Error(null, key, "is required.");

    public string? String(string key)
    {
        YamlNode? node = Get(key);
        return node switch
        {
            null => null,
            YamlScalarNode { Value: { } value } => value,
            _ => throw Error(node, key, "expected a single value."),
        };
    }

    public string RequireString(string key) =>
        String(key) is { Length: > 0 } value ? value : throw Error(Get(key), key, "is required and must not be empty.");

    public int? Int(string key, int min = int.MinValue)
    {
        YamlNode? node = Get(key);
        if (node is null)
        {
            return null;
        }

        string text = Scalar(node, key);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min)
        {
            throw Error(node, key, min == int.MinValue ? $"expected an integer, got '{text}'." : $"expected an integer ≥ {min}, got '{text}'.");
        }

        return value;
    }

    public ulong? UInt64(string key)
    {
        YamlNode? node = Get(key);
        if (node is null)
        {
            return null;
        }

        string text = Scalar(node, key);
        return ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong value)
            ? value
            : throw Error(node, key, $"expected a non-negative integer, got '{text}'.");
    }

    public double? Double(string key, double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool minExclusive = false)
    {
        YamlNode? node = Get(key);
        if (node is null)
        {
            return null;
        }

        string text = Scalar(node, key);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw Error(node, key, $"expected a finite number, got '{text}'.");
        }

        if (value < min || value > max || (minExclusive && value == min))
        {
            string range = minExclusive ? $"({min}, {max}]" : $"[{min}, {max}]";
            throw Error(node, key, $"expected a number in {range.Replace("∞", "inf", StringComparison.Ordinal)}, got {text}.");
        }

        return value;
    }

    public bool? Bool(string key)
    {
        YamlNode? node = Get(key);
        if (node is null)
        {
            return null;
        }

        string text = Scalar(node, key);
        return text.ToUpperInvariant() switch
        {
            "TRUE" or "YES" or "ON" => true,
            "FALSE" or "NO" or "OFF" => false,
            _ => throw Error(node, key, $"expected true or false, got '{text}'."),
        };
    }

    public IReadOnlyList<(string Value, YamlNode Node)>? List(string key)
    {
        YamlNode? node = Get(key);
        return node switch
        {
            null => null,
            YamlSequenceNode sequence => [.. sequence.Children.Select(child => (Scalar(child, key), child))],
            _ => throw Error(node, key, "expected a list, e.g. [a, b]."),
        };
    }

    public TEnum? Enum<TEnum>(string key, IReadOnlyDictionary<string, TEnum> names)
        where TEnum : struct
    {
        YamlNode? node = Get(key);
        if (node is null)
        {
            return null;
        }

        string text = Scalar(node, key);
        return names.TryGetValue(text, out TEnum value)
            ? value
            : throw Error(node, key, $"expected one of {string.Join(", ", names.Keys)}, got '{text}'.");
    }

    /// <summary>Throws on the first key that no reader asked for.</summary>
    public void RejectUnknownKeys()
    {
        foreach ((YamlNode key, YamlNode _) in _node.Children)
        {
            string name = key is YamlScalarNode { Value: { } v } ? v : key.ToString();
            if (!_read.Contains(name))
            {
                throw new JobFileException(File, (int)key.Start.Line, (int)key.Start.Column, FieldPath(name), "is not a known field here (check the spelling; see docs/job-file.md).");
            }
        }
    }

    private string Scalar(YamlNode node, string key) =>
        node is YamlScalarNode { Value: { } value } ? value : throw Error(node, key, "expected a single value.");
}
