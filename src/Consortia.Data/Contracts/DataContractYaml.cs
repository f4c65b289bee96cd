using System.Globalization;
using Consortia.Yaml;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Consortia.Data.Contracts;

/// <summary>
/// Reads the YAML form of a <see cref="DataContract"/> through YamlDotNet's representation model, so that
/// every error carries the line of the offending key. Unknown keys are errors, not ignored.
/// </summary>
internal static class DataContractYaml
{
    private const int MaxColumns = 10_000;

    private static readonly string[] s_contractKeys = ["name", "description", "header", "delimiter", "missing", "columns"];
    private static readonly string[] s_columnKeys = ["name", "type", "role", "min", "max", "levels", "positive", "allowMissing", "pattern", "description"];

    public static DataContract Read(string yaml, string file)
    {
        // Parsing (size limit, one document, a mapping at the top) is Consortia.Yaml's; the fields are read here.
        YamlMappingNode root = YamlText.LoadMapping(file, yaml, (path, line, _, field, problem) =>
            new DataConfigurationException(path, line is { } l ? (int)Math.Clamp(l, 0, int.MaxValue) : null, field.Length == 0 ? "yaml" : field, problem));
        var reader = new NodeReader(file);
        reader.CheckKeys(root, s_contractKeys, "contract");

        string name = reader.RequiredString(root, "name", "name");
        string? description = reader.OptionalString(root, "description", "description");
        bool header = reader.OptionalBool(root, "header", "header") ?? true;
        char delimiter = ',';
        if (NodeReader.Find(root, "delimiter") is { } delimiterNode)
        {
            string text = reader.Scalar(delimiterNode, "delimiter");
            text = text == "\\t" ? "\t" : text;
            if (text.Length != 1)
            {
                throw reader.Bad(delimiterNode, "delimiter", $"expected a single character, got '{text}'.");
            }

            delimiter = text[0];
        }

        IReadOnlyList<string> missing = reader.OptionalStringList(root, "missing", "missing");

        YamlNode columnsNode = NodeReader.Find(root, "columns") ?? throw reader.Bad(root, "columns", "the contract needs a 'columns' list.");
        YamlSequenceNode columnsSequence = reader.Sequence(columnsNode, "columns");
        if (columnsSequence.Children.Count > MaxColumns)
        {
            throw reader.Bad(columnsSequence, "columns", string.Create(CultureInfo.InvariantCulture, $"at most {MaxColumns} columns are allowed."));
        }

        var columns = new List<ColumnContract>(columnsSequence.Children.Count);
        for (int i = 0; i < columnsSequence.Children.Count; i++)
        {
            columns.Add(ReadColumn(reader, columnsSequence.Children[i], i));
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

    private static ColumnContract ReadColumn(NodeReader reader, YamlNode node, int index)
    {
        string field = string.Create(CultureInfo.InvariantCulture, $"columns[{index}]");
        YamlMappingNode map = reader.Mapping(node, field);
        reader.CheckKeys(map, s_columnKeys, field);
        string name = reader.RequiredString(map, "name", field + ".name");
        field = string.Create(CultureInfo.InvariantCulture, $"columns[{index}] ({name})");

        YamlNode typeNode = NodeReader.Find(map, "type") ?? throw reader.Bad(map, field + ".type", "expected a type: number, integer, binary, categorical or text.");
        string typeText = reader.Scalar(typeNode, field + ".type");
        ColumnType type = typeText switch
        {
            "number" => ColumnType.Number,
            "integer" => ColumnType.Integer,
            "binary" => ColumnType.Binary,
            "categorical" => ColumnType.Categorical,
            "text" => ColumnType.Text,
            _ => throw reader.Bad(typeNode, field + ".type", $"expected number, integer, binary, categorical or text, got '{typeText}'."),
        };

        ColumnRole role = ColumnRole.Feature;
        if (NodeReader.Find(map, "role") is { } roleNode)
        {
            string roleText = reader.Scalar(roleNode, field + ".role");
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
                _ => throw reader.Bad(roleNode, field + ".role", $"expected feature, target, time, event, site, split, id or ignore, got '{roleText}'."),
            };
        }

        return new ColumnContract
        {
            Name = name,
            Type = type,
            Role = role,
            Min = reader.OptionalNumber(map, "min", field + ".min"),
            Max = reader.OptionalNumber(map, "max", field + ".max"),
            Levels = reader.OptionalStringList(map, "levels", field + ".levels"),
            Positive = reader.OptionalStringList(map, "positive", field + ".positive"),
            AllowMissing = reader.OptionalBool(map, "allowMissing", field + ".allowMissing") ?? false,
            Pattern = reader.OptionalString(map, "pattern", field + ".pattern"),
            Description = reader.OptionalString(map, "description", field + ".description"),
            SourceLine = LineOf(node.Start),
        };
    }

    private static int LineOf(Mark mark) => (int)Math.Clamp(mark.Line, 0, int.MaxValue);

    private sealed class NodeReader(string file)
    {
        public DataConfigurationException Bad(YamlNode node, string field, string problem) =>
            new(file, LineOf(node.Start), field, problem);

        public YamlMappingNode Mapping(YamlNode node, string field) =>
            node as YamlMappingNode ?? throw Bad(node, field, $"expected a mapping of keys to values, got a {Describe(node)}.");

        public YamlSequenceNode Sequence(YamlNode node, string field) =>
            node as YamlSequenceNode ?? throw Bad(node, field, $"expected a list, got a {Describe(node)}.");

        public string Scalar(YamlNode node, string field)
        {
            if (node is not YamlScalarNode scalar)
            {
                throw Bad(node, field, $"expected a single value, got a {Describe(node)}.");
            }

            return scalar.Value ?? string.Empty;
        }

        public void CheckKeys(YamlMappingNode map, string[] allowed, string field)
        {
            foreach (KeyValuePair<YamlNode, YamlNode> entry in map.Children)
            {
                string key = Scalar(entry.Key, field);
                if (!allowed.Contains(key, StringComparer.Ordinal))
                {
                    throw Bad(entry.Key, field + "." + key, $"unknown key; expected one of {string.Join(", ", allowed)}.");
                }
            }
        }

        public static YamlNode? Find(YamlMappingNode map, string key)
        {
            foreach (KeyValuePair<YamlNode, YamlNode> entry in map.Children)
            {
                if (entry.Key is YamlScalarNode { Value: { } name } && string.Equals(name, key, StringComparison.Ordinal))
                {
                    return IsNull(entry.Value) ? null : entry.Value;
                }
            }

            return null;
        }

        public string RequiredString(YamlMappingNode map, string key, string field)
        {
            YamlNode node = Find(map, key) ?? throw Bad(map, field, "this key is required.");
            string value = Scalar(node, field).Trim();
            return value.Length > 0 ? value : throw Bad(node, field, "expected a non-empty value.");
        }

        public string? OptionalString(YamlMappingNode map, string key, string field) =>
            Find(map, key) is { } node ? Scalar(node, field) : null;

        public bool? OptionalBool(YamlMappingNode map, string key, string field)
        {
            if (Find(map, key) is not { } node)
            {
                return null;
            }

            return Scalar(node, field) switch
            {
                "true" or "True" or "TRUE" => true,
                "false" or "False" or "FALSE" => false,
                string other => throw Bad(node, field, $"expected true or false, got '{other}'."),
            };
        }

        public double? OptionalNumber(YamlMappingNode map, string key, string field)
        {
            if (Find(map, key) is not { } node)
            {
                return null;
            }

            string text = Scalar(node, field);
            return LevelMatcher.TryParseNumber(text, out double value)
                ? value
                : throw Bad(node, field, $"expected a finite number, got '{text}'.");
        }

        public List<string> OptionalStringList(YamlMappingNode map, string key, string field)
        {
            if (Find(map, key) is not { } node)
            {
                return [];
            }

            YamlSequenceNode sequence = Sequence(node, field);
            var values = new List<string>(sequence.Children.Count);
            for (int i = 0; i < sequence.Children.Count; i++)
            {
                values.Add(Scalar(sequence.Children[i], string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]")));
            }

            return values;
        }

        private static bool IsNull(YamlNode node) =>
            node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

        private static string Describe(YamlNode node) => node switch
        {
            YamlMappingNode => "mapping",
            YamlSequenceNode => "list",
            _ => "single value",
        };
    }
}
