using System.Diagnostics;

namespace Consortia.Data.Contracts;

/// <summary>The typed values of a CSV file checked against a <see cref="DataContract"/>, columns in contract order.</summary>
/// <remarks>
/// Only rows with the right number of fields are present; a field that broke the contract reads as
/// missing. The table is meant to be used when <see cref="ContractValidationResult.IsValid"/> is true.
/// </remarks>
public sealed class ValidatedTable
{
    private readonly double[]?[] _numbers;
    private readonly int[]?[] _levels;
    private readonly string?[]?[] _texts;
    private readonly int[] _lines;

    internal ValidatedTable(string file, DataContract contract, int[] lines, double[]?[] numbers, int[]?[] levels, string?[]?[] texts)
    {
        Debug.Assert(numbers.Length == contract.Columns.Count && levels.Length == numbers.Length && texts.Length == numbers.Length, "One slot per contract column.");
        File = file;
        Contract = contract;
        _lines = lines;
        _numbers = numbers;
        _levels = levels;
        _texts = texts;
    }

    /// <summary>The file the values were read from.</summary>
    public string File { get; }

    /// <summary>The contract the file was checked against; column indices refer to its <see cref="DataContract.Columns"/>.</summary>
    public DataContract Contract { get; }

    /// <summary>The number of rows.</summary>
    public int RowCount => _lines.Length;

    /// <summary>Returns the 1-based line in <see cref="File"/> where a row starts.</summary>
    /// <param name="row">The zero-based row.</param>
    /// <returns>The line.</returns>
    public int Line(int row) => _lines[row];

    /// <summary>Whether a value is missing (empty, a missing marker, or invalid).</summary>
    /// <param name="row">The zero-based row.</param>
    /// <param name="column">The column index in the contract.</param>
    /// <returns><see langword="true"/> when there is no usable value.</returns>
    public bool IsMissing(int row, int column) =>
        _numbers[column] is { } numbers ? double.IsNaN(numbers[row])
        : _levels[column] is { } levels ? levels[row] < 0
        : _texts[column]![row] is null; // Every column has exactly one of the three stores.

    /// <summary>Returns the value of a number, integer or binary column.</summary>
    /// <param name="row">The zero-based row.</param>
    /// <param name="column">The column index in the contract.</param>
    /// <returns>The value, or NaN when it is missing.</returns>
    /// <exception cref="InvalidOperationException">The column is categorical or text.</exception>
    public double GetNumber(int row, int column) =>
        (_numbers[column] ?? throw WrongKind(column, "a number, integer or binary"))[row];

    /// <summary>Returns the index of the level of a categorical column's value in <see cref="ColumnContract.Levels"/>.</summary>
    /// <param name="row">The zero-based row.</param>
    /// <param name="column">The column index in the contract.</param>
    /// <returns>The level index, or −1 when the value is missing.</returns>
    /// <exception cref="InvalidOperationException">The column is not categorical.</exception>
    public int GetLevel(int row, int column) =>
        (_levels[column] ?? throw WrongKind(column, "a categorical"))[row];

    /// <summary>Returns the value of a text column, or the level (as the contract spells it) of a categorical column.</summary>
    /// <param name="row">The zero-based row.</param>
    /// <param name="column">The column index in the contract.</param>
    /// <returns>The text, or <see langword="null"/> when the value is missing.</returns>
    /// <exception cref="InvalidOperationException">The column is a number, integer or binary column.</exception>
    public string? GetText(int row, int column)
    {
        if (_levels[column] is { } levels)
        {
            int level = levels[row];
            return level < 0 ? null : Contract.Columns[column].Levels[level];
        }

        return (_texts[column] ?? throw WrongKind(column, "a text or categorical"))[row];
    }

    private InvalidOperationException WrongKind(int column, string expected) =>
        new($"Column '{Contract.Columns[column].Name}' is {DataContract.TypeName(Contract.Columns[column].Type)}, not {expected} column.");
}
