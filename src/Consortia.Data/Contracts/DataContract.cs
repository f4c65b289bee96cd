using System.Globalization;
using System.Text.RegularExpressions;

namespace Consortia.Data.Contracts;

/// <summary>
/// A data contract: the columns a site's CSV file must have, their types, allowed ranges, categorical
/// levels, missing-value markers and roles (features, target, survival time and event, site, split, id).
/// </summary>
/// <remarks>
/// Contracts are usually written in YAML and read with <see cref="Load"/>; see
/// <c>data/contracts/*.yaml</c> for examples. Files are checked against a contract with
/// <see cref="ContractValidator"/>. Record equality compares <see cref="Columns"/> by reference.
/// </remarks>
public sealed record DataContract
{
    /// <summary>The largest contract file <see cref="Load"/> reads, in bytes.</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>The contract name; also the dataset name of a CSV source.</summary>
    public required string Name { get; init; }

    /// <summary>A human description of the data; not checked.</summary>
    public string? Description { get; init; }

    /// <summary>Whether the file's first line is a header naming the columns.</summary>
    /// <value>
    /// <see langword="true"/> by default: columns are matched by name and may come in any order. Without a
    /// header, the file has exactly the contract's columns in the contract's order.
    /// </value>
    public bool HasHeader { get; init; } = true;

    /// <summary>The field separator.</summary>
    /// <value><c>,</c> by default.</value>
    public char Delimiter { get; init; } = ',';

    /// <summary>Field values that mean "not recorded", besides the empty field (for example <c>?</c> or <c>NA</c>).</summary>
    /// <value>Empty by default.</value>
    public IReadOnlyList<string> MissingMarkers { get; init; } = [];

    /// <summary>The columns, in order: feature order, and the file's column order when there is no header.</summary>
    public required IReadOnlyList<ColumnContract> Columns { get; init; }

    /// <summary>The file the contract was read from, for error messages.</summary>
    /// <value><see langword="null"/> for contracts built in code.</value>
    public string? SourceFile { get; init; }

    /// <summary>The task the contract's roles describe.</summary>
    /// <value>
    /// <see cref="LearningTask.Survival"/> when there are time and event columns, otherwise
    /// <see cref="LearningTask.BinaryClassification"/>.
    /// </value>
    public LearningTask Task => FindRole(ColumnRole.Time) is not null ? LearningTask.Survival : LearningTask.BinaryClassification;

    /// <summary>Reads and checks a contract file.</summary>
    /// <param name="path">The YAML file.</param>
    /// <returns>The contract, with <see cref="SourceFile"/> set.</returns>
    /// <exception cref="DataConfigurationException">The file is missing, too large, not YAML, or breaks a rule; the message gives file, line and key.</exception>
    public static DataContract Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var file = new FileInfo(path);
        if (!file.Exists)
        {
            throw new DataConfigurationException(path, null, "contract", "the data-contract file does not exist.");
        }

        if (file.Length > MaxFileBytes)
        {
            throw new DataConfigurationException(path, null, "contract", string.Create(CultureInfo.InvariantCulture, $"the file has {file.Length} bytes; a data contract may have at most {MaxFileBytes}."));
        }

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException e)
        {
            throw new DataConfigurationException($"{path}: the data-contract file cannot be read: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DataConfigurationException($"{path}: the data-contract file cannot be read: {e.Message}", e);
        }

        return Parse(text, path);
    }

    /// <summary>Reads and checks a contract from YAML text.</summary>
    /// <param name="yaml">The YAML text.</param>
    /// <param name="sourceName">The name used in error messages and as <see cref="SourceFile"/>.</param>
    /// <returns>The contract.</returns>
    /// <exception cref="DataConfigurationException">The text is not YAML or breaks a rule; the message gives line and key.</exception>
    public static DataContract Parse(string yaml, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(yaml);
        ArgumentNullException.ThrowIfNull(sourceName);
        if (yaml.Length > MaxFileBytes)
        {
            throw new DataConfigurationException(sourceName, null, "contract", string.Create(CultureInfo.InvariantCulture, $"the text has {yaml.Length} characters; a data contract may have at most {MaxFileBytes}."));
        }

        DataContract contract = DataContractYaml.Read(yaml, sourceName);
        contract.Validate();
        return contract;
    }

    /// <summary>Returns the column with the given name (ordinal comparison), or <see langword="null"/>.</summary>
    /// <param name="name">The column name.</param>
    /// <returns>The column, or <see langword="null"/>.</returns>
    public ColumnContract? FindColumn(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (ColumnContract column in Columns)
        {
            if (string.Equals(column.Name, name, StringComparison.Ordinal))
            {
                return column;
            }
        }

        return null;
    }

    /// <summary>Returns the index of the column with the given name, or −1.</summary>
    /// <param name="name">The column name.</param>
    /// <returns>The index in <see cref="Columns"/>, or −1.</returns>
    public int IndexOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        for (int i = 0; i < Columns.Count; i++)
        {
            if (string.Equals(Columns[i].Name, name, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Returns the column with the given role, or <see langword="null"/> when there is none.</summary>
    /// <param name="role">A role other than <see cref="ColumnRole.Feature"/> and <see cref="ColumnRole.Ignore"/> (which may have several columns).</param>
    /// <returns>The column, or <see langword="null"/>.</returns>
    public ColumnContract? FindRole(ColumnRole role)
    {
        foreach (ColumnContract column in Columns)
        {
            if (column.Role == role)
            {
                return column;
            }
        }

        return null;
    }

    /// <summary>Checks the contract's rules: names, types, ranges, levels, patterns and roles.</summary>
    /// <exception cref="DataConfigurationException">A rule is broken; the message names the column and, for files, the line.</exception>
    /// <remarks>
    /// At most one column has each of the roles target, time, event, site, split and id; time and event
    /// come together. Whether a contract has what training needs (features and a target, or time and
    /// event) is checked by the loaders, so that contracts can also describe auxiliary files.
    /// </remarks>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name))
        {
            throw Bad(null, "name", "expected a non-empty contract name.");
        }

        if (Delimiter is '\r' or '\n' or '"' || Delimiter > 127)
        {
            throw Bad(null, "delimiter", "expected one ASCII character other than a quote or a line break.");
        }

        foreach (string marker in MissingMarkers)
        {
            if (string.IsNullOrWhiteSpace(marker))
            {
                throw Bad(null, "missing", "missing-value markers must be non-empty text (an empty field is always missing).");
            }
        }

        if (Columns is null || Columns.Count == 0)
        {
            throw Bad(null, "columns", "expected at least one column.");
        }

        var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var roles = new Dictionary<ColumnRole, ColumnContract>();
        for (int i = 0; i < Columns.Count; i++)
        {
            ColumnContract column = Columns[i] ?? throw Bad(null, ColumnField(i, null, string.Empty), "expected a column, got nothing.");
            string field = ColumnField(i, column.Name, string.Empty);
            if (string.IsNullOrWhiteSpace(column.Name))
            {
                throw Bad(column.SourceLine, ColumnField(i, null, "name"), "expected a non-empty column name.");
            }

            if (!names.TryAdd(column.Name.Trim(), i))
            {
                throw Bad(column.SourceLine, field + ".name", string.Create(CultureInfo.InvariantCulture, $"the name is already used by column {names[column.Name.Trim()]} (names are compared without case)."));
            }

            ValidateColumn(column, field);
            if (column.Role is not ColumnRole.Feature and not ColumnRole.Ignore && !roles.TryAdd(column.Role, column))
            {
                throw Bad(column.SourceLine, field + ".role", $"only one column may have the role {RoleName(column.Role)}; '{roles[column.Role].Name}' already has it.");
            }
        }

        bool hasTime = roles.ContainsKey(ColumnRole.Time);
        bool hasEvent = roles.ContainsKey(ColumnRole.Event);
        if (hasTime != hasEvent)
        {
            ColumnContract lone = roles[hasTime ? ColumnRole.Time : ColumnRole.Event];
            throw Bad(lone.SourceLine, ColumnField(IndexOf(lone.Name), lone.Name, "role"), "a survival contract needs both a time column and an event column.");
        }

        if (hasTime && roles.TryGetValue(ColumnRole.Target, out ColumnContract? target))
        {
            throw Bad(target.SourceLine, ColumnField(IndexOf(target.Name), target.Name, "role"), "a contract has either a target (classification) or time and event columns (survival), not both.");
        }
    }

    internal static string RoleName(ColumnRole role) => role.ToString().ToLowerInvariant();

    internal static string TypeName(ColumnType type) => type.ToString().ToLowerInvariant();

    private static string ColumnField(int index, string? name, string key)
    {
        string column = string.IsNullOrWhiteSpace(name)
            ? string.Create(CultureInfo.InvariantCulture, $"columns[{index}]")
            : string.Create(CultureInfo.InvariantCulture, $"columns[{index}] ({name})");
        return key.Length == 0 ? column : column + "." + key;
    }

    private void ValidateColumn(ColumnContract column, string field)
    {
        int? line = column.SourceLine;
        if (!Enum.IsDefined(column.Type))
        {
            throw Bad(line, field + ".type", "expected one of number, integer, binary, categorical, text.");
        }

        if (!Enum.IsDefined(column.Role))
        {
            throw Bad(line, field + ".role", "expected one of feature, target, time, event, site, split, id, ignore.");
        }

        bool numeric = column.Type is ColumnType.Number or ColumnType.Integer;
        if ((column.Min is not null || column.Max is not null) && !numeric)
        {
            throw Bad(line, field + (column.Min is not null ? ".min" : ".max"), $"min and max apply to number and integer columns, not to {TypeName(column.Type)}.");
        }

        if (column.Min is double min && !double.IsFinite(min))
        {
            throw Bad(line, field + ".min", "expected a finite number.");
        }

        if (column.Max is double max && !double.IsFinite(max))
        {
            throw Bad(line, field + ".max", "expected a finite number.");
        }

        if (column.Min is double lo && column.Max is double hi && lo > hi)
        {
            throw Bad(line, field + ".max", string.Create(CultureInfo.InvariantCulture, $"the maximum {hi} is below the minimum {lo}."));
        }

        ValidateLevels(column, field);
        ValidatePattern(column, field);

        ColumnType type = column.Type;
        string? roleProblem = column.Role switch
        {
            ColumnRole.Feature when type == ColumnType.Text => "a feature must be number, integer, binary or categorical; text cannot be fed to a model.",
            ColumnRole.Target when type is not (ColumnType.Binary or ColumnType.Categorical) => "a target must be binary, or categorical with positive levels.",
            ColumnRole.Time when !numeric => "a survival time must be a number or an integer.",
            ColumnRole.Event when type != ColumnType.Binary => "an event indicator must be binary (1 = event, 0 = censored).",
            ColumnRole.Site when type is not (ColumnType.Categorical or ColumnType.Text) => "a site column must be categorical or text.",
            ColumnRole.Split when type is not (ColumnType.Categorical or ColumnType.Text) => "a split column must be categorical (levels train, test) or text.",
            ColumnRole.Target or ColumnRole.Time or ColumnRole.Event or ColumnRole.Site or ColumnRole.Split when column.AllowMissing =>
                $"a {RoleName(column.Role)} column cannot allow missing values.",
            _ => null,
        };
        if (roleProblem is not null)
        {
            throw Bad(line, field + (column.AllowMissing && roleProblem.Contains("missing", StringComparison.Ordinal) ? ".allowMissing" : ".role"), roleProblem);
        }

        if (column.Role == ColumnRole.Split && type == ColumnType.Categorical)
        {
            foreach (string level in column.Levels)
            {
                if (!SplitFolds.TryParse(level, out _))
                {
                    throw Bad(line, field + ".levels", $"the levels of a split column must be train and test, got '{level}'.");
                }
            }
        }

        if (column.Positive.Count > 0 && !(column.Role == ColumnRole.Target && type == ColumnType.Categorical))
        {
            throw Bad(line, field + ".positive", "positive levels apply only to a categorical target.");
        }

        if (column.Role == ColumnRole.Target && type == ColumnType.Categorical)
        {
            if (column.Positive.Count == 0 && column.Levels.Count != 2)
            {
                throw Bad(line, field + ".positive", "a categorical target with other than two levels must list its positive levels.");
            }

            foreach (string positive in column.Positive)
            {
                if (LevelMatcher.IndexOf(column.Levels, positive) < 0)
                {
                    throw Bad(line, field + ".positive", $"'{positive}' is not one of the levels ({string.Join(", ", column.Levels)}).");
                }
            }

            int positives = 0;
            for (int i = 0; i < column.Levels.Count; i++)
            {
                positives += column.IsPositiveLevel(i) ? 1 : 0;
            }

            if (positives == column.Levels.Count)
            {
                throw Bad(line, field + ".positive", "at least one level must be negative.");
            }
        }
    }

    private void ValidateLevels(ColumnContract column, string field)
    {
        int? line = column.SourceLine;
        if (column.Type != ColumnType.Categorical)
        {
            if (column.Levels.Count > 0)
            {
                throw Bad(line, field + ".levels", $"levels apply to categorical columns, not to {TypeName(column.Type)}.");
            }

            return;
        }

        if (column.Levels.Count == 0)
        {
            throw Bad(line, field + ".levels", "a categorical column needs its list of levels.");
        }

        for (int i = 0; i < column.Levels.Count; i++)
        {
            string level = column.Levels[i];
            if (string.IsNullOrWhiteSpace(level) || !string.Equals(level, level.Trim(), StringComparison.Ordinal))
            {
                throw Bad(line, field + ".levels", "levels must be non-empty and have no surrounding spaces.");
            }

            if (MissingMarkers.Contains(level, StringComparer.Ordinal))
            {
                throw Bad(line, field + ".levels", $"'{level}' is a missing-value marker and cannot be a level.");
            }

            for (int j = 0; j < i; j++)
            {
                if (LevelMatcher.Matches(level, column.Levels[j]))
                {
                    throw Bad(line, field + ".levels", $"'{level}' repeats level '{column.Levels[j]}'.");
                }
            }
        }
    }

    private void ValidatePattern(ColumnContract column, string field)
    {
        if (column.Pattern is null)
        {
            return;
        }

        if (column.Type != ColumnType.Text)
        {
            throw Bad(column.SourceLine, field + ".pattern", $"a pattern applies to text columns, not to {TypeName(column.Type)}.");
        }

        try
        {
            _ = new Regex(column.Pattern, RegexOptions.CultureInvariant, ContractValidator.PatternTimeout);
        }
        catch (ArgumentException e)
        {
            throw Bad(column.SourceLine, field + ".pattern", $"not a valid regular expression: {e.Message}");
        }
    }

    private DataConfigurationException Bad(int? line, string field, string problem) =>
        new(SourceFile ?? $"contract '{Name}'", line, field, problem);
}
