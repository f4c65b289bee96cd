using System.Globalization;
using System.Text.RegularExpressions;
using Consortia.Data.Csv;

namespace Consortia.Data.Contracts;

/// <summary>Checks a CSV file against a <see cref="DataContract"/> and collects every problem with file, line, column and expected value.</summary>
/// <remarks>
/// Reported: unreadable CSV (malformed quoting, oversized records), header columns missing from the
/// contract or from the file, repeated header names, records with the wrong number of fields, missing
/// values where the contract does not allow them, values that are not numbers, not finite (NaN,
/// infinities), not whole, not 0/1, out of range, not a listed level, not matching a pattern, not a
/// fold name, and repeated ids. Checking never stops at the first problem.
/// </remarks>
public static class ContractValidator
{
    internal static readonly TimeSpan PatternTimeout = TimeSpan.FromSeconds(1);

    /// <summary>Checks a CSV file against a contract.</summary>
    /// <param name="contract">The contract.</param>
    /// <param name="csvPath">The CSV file; problems name it as given.</param>
    /// <returns>The problems and the typed values.</returns>
    /// <exception cref="DataConfigurationException">The file does not exist or cannot be read.</exception>
    public static ContractValidationResult Validate(DataContract contract, string csvPath)
    {
        ArgumentNullException.ThrowIfNull(contract);
        ArgumentNullException.ThrowIfNull(csvPath);
        var problems = new ProblemCollector();
        CsvDocument document = CsvFileReader.Read(csvPath, contract.HasHeader, contract.Delimiter, problems);
        ValidatedTable table = Validate(contract, document, problems);
        return new ContractValidationResult(table, problems.ToList());
    }

    /// <summary>Checks CSV text against a contract.</summary>
    /// <param name="contract">The contract.</param>
    /// <param name="csv">The CSV text.</param>
    /// <param name="fileName">The name problems give for the text.</param>
    /// <returns>The problems and the typed values.</returns>
    public static ContractValidationResult Validate(DataContract contract, TextReader csv, string fileName)
    {
        ArgumentNullException.ThrowIfNull(contract);
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentNullException.ThrowIfNull(fileName);
        var problems = new ProblemCollector();
        CsvDocument document = CsvFileReader.Read(csv, fileName, contract.HasHeader, contract.Delimiter, problems);
        ValidatedTable table = Validate(contract, document, problems);
        return new ContractValidationResult(table, problems.ToList());
    }

    internal static ValidatedTable Validate(DataContract contract, CsvDocument document, ProblemCollector problems)
    {
        string file = document.File;
        int columnCount = contract.Columns.Count;
        int[] fieldOf = MapColumns(contract, document, problems, out int expectedFields);
        var checkers = new ValueChecker[columnCount];
        for (int c = 0; c < columnCount; c++)
        {
            checkers[c] = new ValueChecker(contract, contract.Columns[c]);
        }

        var lines = new List<int>(document.Records.Count);
        var rows = new List<CsvRecord>(document.Records.Count);
        foreach (CsvRecord record in document.Records)
        {
            if (record.Fields.Length != expectedFields)
            {
                problems.Add(file, record.Line, string.Empty, string.Create(CultureInfo.InvariantCulture, $"expected {expectedFields} fields, found {record.Fields.Length}."));
                continue;
            }

            rows.Add(record);
            lines.Add(record.Line);
        }

        var numbers = new double[]?[columnCount];
        var levels = new int[]?[columnCount];
        var texts = new string?[]?[columnCount];
        for (int c = 0; c < columnCount; c++)
        {
            ColumnContract column = contract.Columns[c];
            switch (column.Type)
            {
                case ColumnType.Categorical:
                    levels[c] = new int[rows.Count];
                    break;
                case ColumnType.Text:
                    texts[c] = new string?[rows.Count];
                    break;
                default:
                    numbers[c] = new double[rows.Count];
                    break;
            }

            Dictionary<string, int>? seenIds = column.Role == ColumnRole.Id ? new(StringComparer.Ordinal) : null;
            for (int r = 0; r < rows.Count; r++)
            {
                string? raw = fieldOf[c] >= 0 ? rows[r].Fields[fieldOf[c]] : null;
                double number = double.NaN;
                int level = -1;
                string? text = null;
                string? problem = raw is null ? null : checkers[c].Check(raw, out number, out level, out text);
                if (problem is not null)
                {
                    number = double.NaN;
                    level = -1;
                    text = null;
                }

                if (problem is not null)
                {
                    problems.Add(file, rows[r].Line, column.Name, problem);
                }

                if (numbers[c] is { } n)
                {
                    n[r] = number;
                }
                else if (levels[c] is { } l)
                {
                    l[r] = level;
                }
                else
                {
                    texts[c]![r] = text; // Text columns always have a text store.
                }

                if (seenIds is not null && text is not null && !seenIds.TryAdd(text, rows[r].Line))
                {
                    problems.Add(file, rows[r].Line, column.Name, string.Create(CultureInfo.InvariantCulture, $"duplicate id (first seen on line {seenIds[text]}); ids must be unique."));
                }
            }
        }

        return new ValidatedTable(file, contract, [.. lines], numbers, levels, texts);
    }

    private static int[] MapColumns(DataContract contract, CsvDocument document, ProblemCollector problems, out int expectedFields)
    {
        int[] fieldOf = new int[contract.Columns.Count];
        if (!contract.HasHeader)
        {
            for (int c = 0; c < fieldOf.Length; c++)
            {
                fieldOf[c] = c;
            }

            expectedFields = fieldOf.Length;
            return fieldOf;
        }

        IReadOnlyList<string> header = document.Header;
        expectedFields = header.Count;
        Array.Fill(fieldOf, -1);
        if (header.Count == 0)
        {
            return fieldOf; // The reader has reported the empty file.
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int f = 0; f < header.Count; f++)
        {
            string name = header[f];
            if (!seen.Add(name))
            {
                problems.Add(document.File, 1, name, "the column name appears more than once in the header.");
                continue;
            }

            int c = contract.IndexOf(name);
            if (c >= 0)
            {
                fieldOf[c] = f;
                continue;
            }

            ColumnContract? nearly = contract.Columns.FirstOrDefault(k => string.Equals(k.Name, name, StringComparison.OrdinalIgnoreCase));
            string hint = nearly is null ? string.Empty : $" (did you mean '{nearly.Name}'? names are compared exactly)";
            problems.Add(document.File, 1, name, $"the column is not in data contract '{contract.Name}'{hint}; unexpected columns are refused rather than ignored.");
        }

        for (int c = 0; c < fieldOf.Length; c++)
        {
            if (fieldOf[c] < 0)
            {
                problems.Add(document.File, 1, contract.Columns[c].Name, $"the column is missing from the header; data contract '{contract.Name}' requires it ({ValueChecker.Expectation(contract.Columns[c])}).");
            }
        }

        return fieldOf;
    }

    /// <summary>Interprets one field of one column.</summary>
    private sealed class ValueChecker
    {
        private readonly DataContract _contract;
        private readonly ColumnContract _column;
        private readonly Regex? _pattern;
        private readonly string _expectation;

        public ValueChecker(DataContract contract, ColumnContract column)
        {
            _contract = contract;
            _column = column;
            _pattern = column.Pattern is null ? null : new Regex($@"\A(?:{column.Pattern})\z", RegexOptions.CultureInvariant, PatternTimeout);
            _expectation = Expectation(column);
        }

        public static string Expectation(ColumnContract column)
        {
            string range = (column.Min, column.Max) switch
            {
                (double lo, double hi) => string.Create(CultureInfo.InvariantCulture, $" in [{lo}, {hi}]"),
                (double lo, null) => string.Create(CultureInfo.InvariantCulture, $" ≥ {lo}"),
                (null, double hi) => string.Create(CultureInfo.InvariantCulture, $" ≤ {hi}"),
                _ => string.Empty,
            };
            return column.Type switch
            {
                ColumnType.Number => "a finite number" + range,
                ColumnType.Integer => "a whole number" + range,
                ColumnType.Binary => "0 or 1",
                ColumnType.Categorical => "one of " + string.Join(", ", column.Levels),
                _ when column.Role == ColumnRole.Split => "train or test",
                _ when column.Pattern is not null => $"text matching {column.Pattern}",
                _ => "non-empty text",
            };
        }

        /// <summary>Returns <see langword="null"/> when the value is acceptable (possibly missing), else the problem.</summary>
        public string? Check(string raw, out double number, out int level, out string? text)
        {
            number = double.NaN;
            level = -1;
            text = null;
            if (raw.Length == 0 || _contract.MissingMarkers.Contains(raw, StringComparer.Ordinal))
            {
                if (_column.AllowMissing)
                {
                    return null;
                }

                string what = raw.Length == 0 ? "the value is empty" : $"the value is missing ('{raw}')";
                return $"{what}; expected {_expectation} (the contract does not allow missing values here).";
            }

            switch (_column.Type)
            {
                case ColumnType.Categorical:
                    level = LevelMatcher.IndexOf(_column.Levels, raw);
                    return level >= 0 ? null : $"'{Clip(raw)}' is not a known level; expected {_expectation}.";

                case ColumnType.Text:
                    return CheckText(raw, out text);

                default:
                    return CheckNumber(raw, out number);
            }
        }

        private string? CheckText(string raw, out string? text)
        {
            text = null;
            if (_column.Role == ColumnRole.Split && !SplitFolds.TryParse(raw, out _))
            {
                return $"'{Clip(raw)}' is not a fold; expected train or test.";
            }

            if (_pattern is not null)
            {
                try
                {
                    if (!_pattern.IsMatch(raw))
                    {
                        return $"the value does not match the pattern {_column.Pattern}.";
                    }
                }
                catch (RegexMatchTimeoutException)
                {
                    return $"the value could not be checked against the pattern {_column.Pattern} in time.";
                }
            }

            text = raw;
            return null;
        }

        private string? CheckNumber(string raw, out double number)
        {
            if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out number))
            {
                number = double.NaN;
                return $"'{Clip(raw)}' is not a number; expected {_expectation}.";
            }

            if (!double.IsFinite(number))
            {
                number = double.NaN;
                return $"'{Clip(raw)}' is not a finite number (NaN and infinities are refused); expected {_expectation}.";
            }

            string? problem = _column.Type switch
            {
                ColumnType.Binary when number is not (0.0 or 1.0) => $"'{Clip(raw)}' is not 0 or 1; expected 0 or 1.",
                ColumnType.Integer when number != Math.Round(number) => $"'{Clip(raw)}' is not a whole number; expected {_expectation}.",
                _ when _column.Min is double min && number < min => $"{Clip(raw)} is below the minimum {Format(min)}; expected {_expectation}.",
                _ when _column.Max is double max && number > max => $"{Clip(raw)} is above the maximum {Format(max)}; expected {_expectation}.",
                _ => null,
            };
            if (problem is not null)
            {
                number = double.NaN;
            }

            return problem;
        }

        private static string Format(double value) => value.ToString("R", CultureInfo.InvariantCulture);

        private static string Clip(string raw) => raw.Length <= 40 ? raw : string.Concat(raw.AsSpan(0, 40), "…");
    }
}
