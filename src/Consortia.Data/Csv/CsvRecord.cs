namespace Consortia.Data.Csv;

/// <summary>One record of a CSV file: the 1-based line it starts on and its trimmed fields.</summary>
/// <param name="Line">The 1-based line where the record starts (header included in the count).</param>
/// <param name="Fields">The field values, unquoted and trimmed.</param>
internal sealed record CsvRecord(int Line, string[] Fields);
