namespace Consortia.Data.Contracts;

/// <summary>What one column of a data file must hold.</summary>
/// <remarks>Record equality compares the lists by reference.</remarks>
public sealed record ColumnContract
{
    /// <summary>The column name: the header name, or a descriptive name for files without a header.</summary>
    public required string Name { get; init; }

    /// <summary>The type of the values.</summary>
    public required ColumnType Type { get; init; }

    /// <summary>What the column is used for.</summary>
    /// <value><see cref="ColumnRole.Feature"/> by default.</value>
    public ColumnRole Role { get; init; } = ColumnRole.Feature;

    /// <summary>The smallest allowed value of a number or integer column.</summary>
    /// <value><see langword="null"/> (no lower bound) by default.</value>
    public double? Min { get; init; }

    /// <summary>The largest allowed value of a number or integer column.</summary>
    /// <value><see langword="null"/> (no upper bound) by default.</value>
    public double? Max { get; init; }

    /// <summary>The levels of a categorical column, in order; the first is the reference level dropped by one-hot encoding.</summary>
    /// <value>Empty by default; required for categorical columns.</value>
    public IReadOnlyList<string> Levels { get; init; } = [];

    /// <summary>For a categorical target, the levels that mean the positive class (label 1).</summary>
    /// <value>Empty by default, which for a two-level target means its second level.</value>
    public IReadOnlyList<string> Positive { get; init; } = [];

    /// <summary>Whether a missing value (an empty field or one of the missing markers) is allowed.</summary>
    /// <value><see langword="false"/> by default.</value>
    public bool AllowMissing { get; init; }

    /// <summary>A regular expression the whole value of a text column must match.</summary>
    /// <value><see langword="null"/> (any non-empty text) by default.</value>
    public string? Pattern { get; init; }

    /// <summary>A human description (unit, meaning); not checked.</summary>
    public string? Description { get; init; }

    /// <summary>The 1-based line of the column's entry in the contract file, for error messages.</summary>
    /// <value><see langword="null"/> for contracts built in code.</value>
    public int? SourceLine { get; init; }

    /// <summary>Whether a categorical value is one of <see cref="Positive"/> (or the second of two levels when none are listed).</summary>
    /// <param name="levelIndex">The index of the value in <see cref="Levels"/>.</param>
    /// <returns><see langword="true"/> for the positive class.</returns>
    public bool IsPositiveLevel(int levelIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(levelIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(levelIndex, Levels.Count);
        if (Positive.Count == 0)
        {
            return Levels.Count == 2 && levelIndex == 1;
        }

        string level = Levels[levelIndex];
        foreach (string positive in Positive)
        {
            if (LevelMatcher.Matches(level, positive))
            {
                return true;
            }
        }

        return false;
    }
}
