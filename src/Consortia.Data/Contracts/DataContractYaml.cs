using System.Globalization;
using Consortia.Yaml;
using YamlDotNet.RepresentationModel;

namespace Consortia.Data.Contracts;

/// <summary>
/// Reads the YAML form of a <see cref="DataContract"/> through Consortia.Yaml's <see cref="YamlSection"/>, so that
/// every error carries the line of the offending key. Unknown keys are errors, not ignored. The few value checks
/// below keep the contract's own wording (docs name them), on top of the shared section.
/// </summary>
internal static class DataContractYaml
{
    private const int MaxColumns = 10_000;

    private static readonly string[] s_contractKeys = ["name", "description", "header", "delimiter", "missing", "columns"];
    private static readonly string[] s_columnKeys = ["name", "type", "role", "min", "max", "levels", "positive", "allowMissing", "pattern", "description"];

    public static DataContract Read(string yaml, string file)
    {
        // Parsing (size limit, one document, a mapping at the top) and navigation are Consortia.Yaml's; the fields are read here.
        YamlSection root = YamlSection.LoadRoot(file, yaml, (path, line, _, field, problem) =>
            new DataConfigurationException(path, line is { } l ? (int)Math.Clamp(l, 0, int.MaxValue) : null, field.Length == 0 ? "yaml" : field, problem));
        CheckKeys(root, s_contractKeys, "contract");

        string name = RequiredString(root, "name", "name");
        string? description = OptionalString(root, "description", "description");
        bool header = OptionalBool(root, "header", "header") ?? true;
        char delimiter = ',';
        if (root.Node("delimiter") is { } delimiterNode)
        {
            string text = Scalar(root, delimiterNode, "delimiter");
            text = text == "\\t" ? "\t" : text;
            if (text.Length != 1)
            {
                throw root.Error(delimiterNode, "delimiter", $"expected a single character, got '{text}'.");
            }

            delimiter = text[0];
        }

        IReadOnlyList<string> missing = OptionalStringList(root, "missing", "missing");

        YamlNode columnsNode = root.Node("columns") ?? throw root.MappingError("columns", "the contract needs a 'columns' list.");
        YamlSequenceNode columnsSequence = Sequence(root, columnsNode, "columns");
        if (columnsSequence.Children.Count > MaxColumns)
        {
            throw root.Error(columnsSequence, "columns", string.Create(CultureInfo.InvariantCulture, $"at most {MaxColumns} columns are allowed."));
        }

        var columns = new List<ColumnContract>(columnsSequence.Children.Count);
        for (int i = 0; i < columnsSequence.Children.Count; i++)
        {
            columns.Add(ReadColumn(root, columnsSequence.Children[i], i));
        }

        return new DataContract
        {
            Name = name,
            Description = description,
            HasHeader = header,
            Delimiter = delimiter,
            MissingMarkers = missing,
            Columns = columns,
            SourceFile = file,
        };
    }

    private static ColumnContract ReadColumn(YamlSection root, YamlNode node, int index)
    {
        string field = string.Create(CultureInfo.InvariantCulture, $"columns[{index}]");
        YamlSection map = root.AsSection(node, field)
            ?? throw root.Error(node, field, $"expected a mapping of keys to values, got a {Describe(node)}.");
        CheckKeys(map, s_columnKeys, field);
        string name = RequiredString(map, "name", field + ".name");
        field = string.Create(CultureInfo.InvariantCulture, $"columns[{index}] ({name})");

        YamlNode typeNode = map.Node("type") ?? throw map.MappingError(field + ".type", "expected a type: number, integer, binary, categorical or text.");
        string typeText = Scalar(map, typeNode, field + ".type");
        ColumnType type = typeText switch
        {
            "number" => ColumnType.Number,
            "integer" => ColumnType.Integer,
            "binary" => ColumnType.Binary,
            "categorical" => ColumnType.Categorical,
            "text" => ColumnType.Text,
            _ => throw map.Error(typeNode, field + ".type", $"expected number, integer, binary, categorical or text, got '{typeText}'."),
        };

        ColumnRole role = ColumnRole.Feature;
        if (map.Node("role") is { } roleNode)
        {
            string roleText = Scalar(map, roleNode, field + ".role");
            role = roleText switch
            {
                "feature" => ColumnRole.Feature,
                "target" => ColumnRole.Target,
                "time" => ColumnRole.Time,
                "event" => ColumnRole.Event,
                "site" => ColumnRole.Site,
                "split" => ColumnRole.Split,
                "id" => ColumnRole.Id,
                "ignore" => ColumnRole.Ignore,
                _ => throw map.Error(roleNode, field + ".role", $"expected feature, target, time, event, site, split, id or ignore, got '{roleText}'."),
            };
        }

        return new ColumnContract
        {
            Name = name,
            Type = type,
            Role = role,
            Min = OptionalNumber(map, "min", field + ".min"),
            Max = OptionalNumber(map, "max", field + ".max"),
            Levels = OptionalStringList(map, "levels", field + ".levels"),
            Positive = OptionalStringList(map, "positive", field + ".positive"),
            AllowMissing = OptionalBool(map, "allowMissing", field + ".allowMissing") ?? false,
            Pattern = OptionalString(map, "pattern", field + ".pattern"),
            Description = OptionalString(map, "description", field + ".description"),
            SourceLine = (int)Math.Clamp(map.Line, 0, int.MaxValue),
        };
    }

    // The contract's field labels name the column ("columns[2] (age).min"), so the checks below take the label to report.
    private static void CheckKeys(YamlSection map, string[] allowed, string field)
    {
        foreach (string key in map.Keys)
        {
            if (!allowed.Contains(key, StringComparer.Ordinal))
            {
                throw map.Error(map.KeyNode(key)!, field + "." + key, $"unknown key; expected one of {string.Join(", ", allowed)}.");
            }
        }
    }

    private static YamlSequenceNode Sequence(YamlSection map, YamlNode node, string field) =>
        node as YamlSequenceNode ?? throw map.Error(node, field, $"expected a list, got a {Describe(node)}.");

    private static string Scalar(YamlSection map, YamlNode node, string field) =>
        node is YamlScalarNode scalar ? scalar.Value ?? string.Empty : throw map.Error(node, field, $"expected a single value, got a {Describe(node)}.");

    private static string RequiredString(YamlSection map, string key, string field)
    {
        YamlNode node = map.Node(key) ?? throw map.MappingError(field, "this key is required.");
        string value = Scalar(map, node, field).Trim();
        return value.Length > 0 ? value : throw map.Error(node, field, "expected a non-empty value.");
    }

    private static string? OptionalString(YamlSection map, string key, string field) =>
        map.Node(key) is { } node ? Scalar(map, node, field) : null;

    private static bool? OptionalBool(YamlSection map, string key, string field) =>
        map.Node(key) is not { } node ? null : Scalar(map, node, field) switch
        {
            "true" or "True" or "TRUE" => true,
            "false" or "False" or "FALSE" => false,
            string other => throw map.Error(node, field, $"expected true or false, got '{other}'."),
        };

    private static double? OptionalNumber(YamlSection map, string key, string field)
    {
        if (map.Node(key) is not { } node)
        {
            return null;
        }

        string text = Scalar(map, node, field);
        return LevelMatcher.TryParseNumber(text, out double value)
            ? value
            : throw map.Error(node, field, $"expected a finite number, got '{text}'.");
    }

    private static List<string> OptionalStringList(YamlSection map, string key, string field)
    {
        if (map.Node(key) is not { } node)
        {
            return [];
        }

        YamlSequenceNode sequence = Sequence(map, node, field);
        var values = new List<string>(sequence.Children.Count);
        for (int i = 0; i < sequence.Children.Count; i++)
        {
            values.Add(Scalar(map, sequence.Children[i], string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]")));
        }

        return values;
    }

    private static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode => "single value",
        YamlSequenceNode => "list",
        _ => "mapping",
    };
}
