using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Consortia.Yaml;

/// <summary>
/// Getters that take a value as written (an empty value is an empty string, not an absent one) and mark their key
/// as read for <see cref="RejectUnreadKeys"/>; the job file reads its fields with these, and their wording is the
/// one its users see (docs/job-file.md).
/// </summary>
public sealed partial class YamlSection
{
    /// <summary>The mapping under <paramref name="key"/>, or <see langword="null"/> when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The section.</returns>
    public YamlSection? Section(string key) => SectionAt(Get(key), key, "expected a mapping (key: value lines).");

    /// <summary>The mapping under <paramref name="key"/>; an error when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The section.</returns>
    public YamlSection RequireSection(string key) => Section(key) ?? throw Error(key, "is required.");

    /// <summary>Whether the value of <paramref name="key"/> is a mapping (marks the key as read).</summary>
    /// <param name="key">The key.</param>
    /// <returns><see langword="true"/> for a mapping.</returns>
    public bool IsMapping(string key) => Get(key) is YamlMappingNode;

    /// <summary>The single value under <paramref name="key"/> as written (possibly empty), or <see langword="null"/> when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value.</returns>
    public string? Value(string key)
    {
        YamlNode? node = Get(key);
        return node switch
        {
            null => null,
            YamlScalarNode { Value: { } value } => value,
            _ => throw Error(node, FieldPath(key), "expected a single value."),
        };
    }

    /// <summary>The non-empty single value under <paramref name="key"/>; an error when absent or empty.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value.</returns>
    public string RequireValue(string key) =>
        Value(key) is { Length: > 0 } value ? value : throw Error(key, "is required and must not be empty.");

    /// <summary>The 32-bit integer of at least <paramref name="min"/> under <paramref name="key"/>, or <see langword="null"/> when absent.</summary>
    /// <param name="key">The key.</param>
    /// <param name="min">The smallest allowed value.</param>
    /// <returns>The value.</returns>
    public int? WholeNumber(string key, int min = int.MinValue)
    {
        if (Get(key) is not { } node)
        {
            return null;
        }

        string text = ValueText(node, key);
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min)
        {
            throw Error(node, FieldPath(key), min == int.MinValue ? $"expected an integer, got '{text}'." : $"expected an integer ≥ {min}, got '{text}'.");
        }

        return value;
    }

    /// <summary>The non-negative 64-bit integer under <paramref name="key"/>, or <see langword="null"/> when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value.</returns>
    public ulong? LargeWholeNumber(string key)
    {
        if (Get(key) is not { } node)
        {
            return null;
        }

        string text = ValueText(node, key);
        return ulong.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong value)
            ? value
            : throw Error(node, FieldPath(key), $"expected a non-negative integer, got '{text}'.");
    }

    /// <summary>The finite number in [<paramref name="min"/>, <paramref name="max"/>] under <paramref name="key"/>, or <see langword="null"/> when absent.</summary>
    /// <param name="key">The key.</param>
    /// <param name="min">The smallest allowed value.</param>
    /// <param name="max">The largest allowed value.</param>
    /// <param name="minExclusive">Whether <paramref name="min"/> itself is refused.</param>
    /// <returns>The value.</returns>
    public double? RealNumber(string key, double min = double.NegativeInfinity, double max = double.PositiveInfinity, bool minExclusive = false)
    {
        if (Get(key) is not { } node)
        {
            return null;
        }

        string text = ValueText(node, key);
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !double.IsFinite(value))
        {
            throw Error(node, FieldPath(key), $"expected a finite number, got '{text}'.");
        }

        if (value < min || value > max || (minExclusive && value == min))
        {
            string range = minExclusive ? $"({min}, {max}]" : $"[{min}, {max}]";
            throw Error(node, FieldPath(key), $"expected a number in {range.Replace("∞", "inf", StringComparison.Ordinal)}, got {text}.");
        }

        return value;
    }

    /// <summary>The boolean (true/false, yes/no, on/off, any case) under <paramref name="key"/>, or <see langword="null"/> when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value.</returns>
    public bool? Bool(string key)
    {
        if (Get(key) is not { } node)
        {
            return null;
        }

        string text = ValueText(node, key);
        return text.ToUpperInvariant() switch
        {
            "TRUE" or "YES" or "ON" => true,
            "FALSE" or "NO" or "OFF" => false,
            _ => throw Error(node, FieldPath(key), $"expected true or false, got '{text}'."),
        };
    }

    /// <summary>The list of single values under <paramref name="key"/>, each with its node, or <see langword="null"/> when absent.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The items.</returns>
    public IReadOnlyList<(string Value, YamlNode Node)>? List(string key)
    {
        YamlNode? node = Get(key);
        return node switch
        {
            null => null,
            YamlSequenceNode sequence when sequence.Children.Count > MaxSequenceItems => throw Error(node, FieldPath(key), $"expected at most {MaxSequenceItems} items"),
            YamlSequenceNode sequence => [.. sequence.Children.Select(child => (ValueText(child, key), child))],
            _ => throw Error(node, FieldPath(key), "expected a list, e.g. [a, b]."),
        };
    }

    /// <summary>The value under <paramref name="key"/> looked up in <paramref name="names"/>, or <see langword="null"/> when absent.</summary>
    /// <typeparam name="TEnum">The enumeration.</typeparam>
    /// <param name="key">The key.</param>
    /// <param name="names">The accepted spellings.</param>
    /// <returns>The value.</returns>
    public TEnum? Enum<TEnum>(string key, IReadOnlyDictionary<string, TEnum> names)
        where TEnum : struct
    {
        ArgumentNullException.ThrowIfNull(names);
        if (Get(key) is not { } node)
        {
            return null;
        }

        string text = ValueText(node, key);
        return names.TryGetValue(text, out TEnum value)
            ? value
            : throw Error(node, FieldPath(key), $"expected one of {string.Join(", ", names.Keys)}, got '{text}'.");
    }

    private string ValueText(YamlNode node, string key) =>
        node is YamlScalarNode { Value: { } value } ? value : throw Error(node, FieldPath(key), "expected a single value.");
}
