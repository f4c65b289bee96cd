using System.Globalization;
using CsvHelper;

namespace Consortia.Data.Csv;

/// <summary>
/// Reads a CSV file with CsvHelper (RFC 4180 quoting, UTF-8 or a byte-order-marked encoding) into memory,
/// turning malformed quoting and oversized records into problems with their line instead of exceptions.
/// </summary>
/// <remarks>Empty lines are skipped; spaces and tabs around unquoted values are trimmed.</remarks>
internal static class CsvFileReader
{
    /// <summary>The longest record accepted, in bytes; longer ones are hostile or not CSV.</summary>
    public const int MaxRecordBytes = 1 << 20;

    public static CsvDocument Read(string path, bool hasHeader, char delimiter, ProblemCollector problems)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new DataConfigurationException(path, null, "path", "the data file does not exist.");
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.SequentialScan);
            using CsvReader reader = CsvReader.Create(stream, CreateOptions(hasHeader, delimiter, path, problems, out HashSet<long> malformed));
            return ReadAll(reader, path, hasHeader, problems, malformed);
        }
        catch (IOException e)
        {
            throw new DataConfigurationException($"{path}: the data file cannot be read: {e.Message}", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DataConfigurationException($"{path}: the data file cannot be read: {e.Message}", e);
        }
    }

    public static CsvDocument Read(TextReader text, string fileName, bool hasHeader, char delimiter, ProblemCollector problems)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        using CsvReader reader = CsvReader.Create(text, CreateOptions(hasHeader, delimiter, fileName, problems, out HashSet<long> malformed), leaveOpen: true);
        return ReadAll(reader, fileName, hasHeader, problems, malformed);
    }

    private static CsvReaderOptions CreateOptions(bool hasHeader, char delimiter, string file, ProblemCollector problems, out HashSet<long> malformed)
    {
        HashSet<long> bad = [];
        malformed = bad;
        return CsvReaderOptions.Default with
        {
            Separator = delimiter,
            HasHeader = hasHeader,
            TrackLineNumbers = true,
            TrimWhitespace = true,
            SkipEmptyLines = true,
            DetectSeparatorHint = false,
            MaxRecordSize = MaxRecordBytes,
            FieldCountMismatch = CsvFieldCountHandling.Allow,
            MalformedData = CsvMalformedDataHandling.Recover,
            FormatProvider = CultureInfo.InvariantCulture,
            OnMalformedRecord = record =>
            {
                if (record.Reason == CsvMalformedReason.FieldCountMismatch)
                {
                    return; // Checked against the contract, which knows the expected count.
                }

                bad.Add(record.LineNumber);
                problems.Add(file, ToLine(record.LineNumber), string.Empty, $"malformed quoting ({Describe(record.Reason)}); quote a field that contains the separator, a quote or a line break, and double the quotes inside it.");
            },
        };
    }

    private static CsvDocument ReadAll(CsvReader reader, string file, bool hasHeader, ProblemCollector problems, HashSet<long> malformed)
    {
        var records = new List<CsvRecord>();
        IReadOnlyList<string> header = [];
        try
        {
            if (hasHeader)
            {
                header = [.. reader.Headers.Select(h => h.Trim())];
                if (header.Count == 0)
                {
                    problems.Add(file, 1, string.Empty, "the file is empty; expected a header line naming the columns.");
                    return new CsvDocument(file, header, records);
                }
            }

            while (reader.Read())
            {
                long line = reader.LineNumber;
                if (malformed.Contains(line))
                {
                    continue;
                }

                string[] fields = new string[reader.FieldCount];
                for (int i = 0; i < fields.Length; i++)
                {
                    fields[i] = reader.GetString(i) ?? string.Empty;
                }

                records.Add(new CsvRecord(ToLine(line), fields));
            }
        }
        catch (CsvFormatException e)
        {
            problems.Add(file, ToLine(e.LineNumber), string.Empty, $"the file cannot be read as CSV from here on: {e.Message}");
        }

        if (!hasHeader && records.Count == 0 && !problems.HasProblems)
        {
            problems.Add(file, 0, string.Empty, "the file has no records.");
        }

        return new CsvDocument(file, header, records);
    }

    private static int ToLine(long line) => (int)Math.Clamp(line, 0, int.MaxValue);

    private static string Describe(CsvMalformedReason reason) => reason switch
    {
        CsvMalformedReason.StrayQuote => "a quote inside an unquoted field",
        CsvMalformedReason.TextAfterClosingQuote => "text after a closing quote",
        CsvMalformedReason.UnterminatedQuote => "a quoted field that is never closed",
        CsvMalformedReason.LineBreakInQuotes => "a line break inside quotes",
        _ => reason.ToString(),
    };
}
