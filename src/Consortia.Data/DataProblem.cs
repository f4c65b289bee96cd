using System.Globalization;

namespace Consortia.Data;

/// <summary>One thing wrong with a data file: where it is and what was expected.</summary>
/// <param name="File">The file the problem is in.</param>
/// <param name="Line">The 1-based line of the record (1 is the header of a headered file); 0 when the problem concerns the whole file.</param>
/// <param name="Column">The column name, or an empty string when the problem concerns the whole record or file.</param>
/// <param name="Message">What is wrong and what was expected.</param>
/// <remarks>
/// Messages may quote the offending value (never for id and text columns), so problems about a site's
/// data belong to that site's operator and must not be sent to the coordinator.
/// </remarks>
public sealed record DataProblem(string File, int Line, string Column, string Message)
{
    /// <summary>Formats the problem as <c>file:line column: message</c>.</summary>
    /// <returns>The problem on one line.</returns>
    public override string ToString()
    {
        string where = Line > 0 ? string.Create(CultureInfo.InvariantCulture, $"{File}:{Line}") : File;
        return Column.Length > 0 ? $"{where} column '{Column}': {Message}" : $"{where}: {Message}";
    }
}
