namespace Consortia.Data.Csv;

/// <summary>A whole CSV file in memory: its header (empty for files without one) and its well-formed records.</summary>
/// <param name="File">The file name used in problems.</param>
/// <param name="Header">The header names; empty when the file has no header.</param>
/// <param name="Records">The records that parsed cleanly, in file order.</param>
internal sealed record CsvDocument(string File, IReadOnlyList<string> Header, IReadOnlyList<CsvRecord> Records);
