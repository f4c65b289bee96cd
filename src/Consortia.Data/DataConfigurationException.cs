using System.Globalization;

namespace Consortia.Data;

/// <summary>Thrown for bad data-source options or a bad data-contract file.</summary>
/// <remarks>The message names the file and line (for contract files) and the field, and says what was expected.</remarks>
public sealed class DataConfigurationException : Exception
{
    /// <summary>Creates the exception for a field of a file or of the options.</summary>
    /// <param name="file">The file, or <see langword="null"/> for an options record.</param>
    /// <param name="line">The 1-based line in <paramref name="file"/>, or <see langword="null"/> when not known.</param>
    /// <param name="field">The field (option name or contract key) that is wrong.</param>
    /// <param name="problem">What is wrong and what was expected.</param>
    public DataConfigurationException(string? file, int? line, string field, string problem)
        : base(FormatMessage(file, line, field, problem))
    {
        File = file;
        Line = line;
        Field = field;
    }

    /// <summary>Creates the exception with a message.</summary>
    public DataConfigurationException()
        : this("The data configuration is not valid.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public DataConfigurationException(string message)
        : base(message)
    {
        Field = string.Empty;
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public DataConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
    }

    /// <summary>The file at fault, or <see langword="null"/> for options.</summary>
    public string? File { get; }

    /// <summary>The 1-based line in <see cref="File"/>, when known.</summary>
    public int? Line { get; }

    /// <summary>The field at fault (an option name or a contract key).</summary>
    public string Field { get; }

    private static string FormatMessage(string? file, int? line, string field, string problem)
    {
        string where = (file, line) switch
        {
            (null, _) => string.Empty,
            (_, null) => file + ": ",
            _ => string.Create(CultureInfo.InvariantCulture, $"{file}:{line}: "),
        };
        return $"{where}'{field}': {problem}";
    }
}
