using Consortia.Data.Contracts;

namespace Consortia.Data.Preprocessing;

/// <summary>
/// Turns a contract's feature columns into model features: number, integer and binary features in
/// contract order, then each categorical feature one-hot encoded without its first level, named
/// <c>column_level</c> (what <c>pandas.get_dummies(..., drop_first=True)</c> gives FLamby).
/// </summary>
/// <remarks>
/// The levels come from the contract, not from the data, so every site encodes the same columns in the
/// same order even when a site never sees some level.
/// </remarks>
internal sealed class FeatureEncoder
{
    private readonly Slot[] _slots;

    private FeatureEncoder(DataContract contract, Slot[] slots, string[] names)
    {
        Contract = contract;
        _slots = slots;
        Names = names;
    }

    public DataContract Contract { get; }

    public IReadOnlyList<string> Names { get; }

    /// <summary>The contract indices of the feature columns.</summary>
    public IEnumerable<int> SourceColumns => _slots.Select(s => s.Column).Distinct();

    public static FeatureEncoder Create(DataContract contract)
    {
        var slots = new List<Slot>();
        var names = new List<string>();
        for (int c = 0; c < contract.Columns.Count; c++)
        {
            ColumnContract column = contract.Columns[c];
            if (column.Role == ColumnRole.Feature && column.Type != ColumnType.Categorical)
            {
                slots.Add(new Slot(c, -1));
                names.Add(column.Name);
            }
        }

        for (int c = 0; c < contract.Columns.Count; c++)
        {
            ColumnContract column = contract.Columns[c];
            if (column.Role == ColumnRole.Feature && column.Type == ColumnType.Categorical)
            {
                for (int level = 1; level < column.Levels.Count; level++)
                {
                    slots.Add(new Slot(c, level));
                    names.Add(column.Name + "_" + column.Levels[level]);
                }
            }
        }

        if (names.Count == 0)
        {
            throw new DataConfigurationException(contract.SourceFile ?? contract.Name, null, "columns", "the contract has no feature column that yields a model input (a categorical feature needs at least two levels).");
        }

        var unique = new HashSet<string>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            if (!unique.Add(name))
            {
                throw new DataConfigurationException(contract.SourceFile ?? contract.Name, null, "columns", $"two features would both be named '{name}' after one-hot encoding; rename a column.");
            }
        }

        return new FeatureEncoder(contract, [.. slots], [.. names]);
    }

    /// <summary>Encodes the given rows; their feature values must not be missing.</summary>
    public FeatureMatrix Encode(ValidatedTable table, IReadOnlyList<int> rows)
    {
        int d = _slots.Length;
        double[] values = new double[rows.Count * d];
        for (int i = 0; i < rows.Count; i++)
        {
            int row = rows[i];
            Span<double> target = values.AsSpan(i * d, d);
            for (int j = 0; j < d; j++)
            {
                Slot slot = _slots[j];
                target[j] = slot.Level < 0
                    ? table.GetNumber(row, slot.Column)
                    : table.GetLevel(row, slot.Column) == slot.Level ? 1.0 : 0.0;
            }
        }

        return new FeatureMatrix(Names, values);
    }

    /// <summary>Reads the label of each row: a binary target as is, a categorical target as 1 for its positive levels, or the survival event.</summary>
    public static double[] Labels(ValidatedTable table, IReadOnlyList<int> rows)
    {
        DataContract contract = table.Contract;
        ColumnContract column = contract.FindRole(ColumnRole.Target) ?? contract.FindRole(ColumnRole.Event)
            ?? throw new DataConfigurationException(contract.SourceFile ?? contract.Name, null, "columns", "the contract has no target column (role: target) and no survival event column (role: event).");
        int c = contract.IndexOf(column.Name);
        double[] labels = new double[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            labels[i] = column.Type == ColumnType.Categorical
                ? (column.IsPositiveLevel(table.GetLevel(rows[i], c)) ? 1.0 : 0.0)
                : table.GetNumber(rows[i], c);
        }

        return labels;
    }

    /// <summary>Reads the survival time of each row, or returns <see langword="null"/> for a classification contract.</summary>
    public static double[]? Times(ValidatedTable table, IReadOnlyList<int> rows)
    {
        if (table.Contract.FindRole(ColumnRole.Time) is not { } column)
        {
            return null;
        }

        int c = table.Contract.IndexOf(column.Name);
        double[] times = new double[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            times[i] = table.GetNumber(rows[i], c);
        }

        return times;
    }

    /// <summary>Checks that a contract can feed training: features, and a target or survival time and event.</summary>
    public static void RequireTrainingRoles(DataContract contract)
    {
        if (contract.FindRole(ColumnRole.Target) is null && contract.FindRole(ColumnRole.Time) is null)
        {
            throw new DataConfigurationException(contract.SourceFile ?? contract.Name, null, "columns", "training needs a target column (role: target) or survival time and event columns (role: time, role: event).");
        }

        _ = Create(contract);
    }

    private readonly record struct Slot(int Column, int Level);
}
