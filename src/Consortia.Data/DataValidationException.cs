using System.Globalization;
using System.Text;

namespace Consortia.Data;

/// <summary>Thrown when data files break their contract or disagree with each other.</summary>
/// <remarks>
/// <see cref="Problems"/> holds every problem found (up to a cap that guards against hostile files), not
/// just the first; the message lists the first ones with file, line and column.
/// </remarks>
public sealed class DataValidationException : Exception
{
    private const int ProblemsInMessage = 20;

    /// <summary>Creates the exception for the given problems.</summary>
    /// <param name="problems">The problems found; at least one.</param>
    public DataValidationException(IReadOnlyList<DataProblem> problems)
        : base(FormatMessage(problems))
    {
        Problems = problems;
    }

    /// <summary>Creates the exception with a message and no listed problems.</summary>
    public DataValidationException()
        : this("The data is not valid.")
    {
    }

    /// <summary>Creates the exception with a message and no listed problems.</summary>
    /// <param name="message">What is wrong.</param>
    public DataValidationException(string message)
        : base(message)
    {
        Problems = [];
    }

    /// <summary>Creates the exception with a message, an inner exception and no listed problems.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public DataValidationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [];
    }

    /// <summary>Every problem found, in file and line order.</summary>
    public IReadOnlyList<DataProblem> Problems { get; }

    private static string FormatMessage(IReadOnlyList<DataProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"The data has {problems.Count} problem{(problems.Count == 1 ? string.Empty : "s")}:");
        for (int i = 0; i < Math.Min(problems.Count, ProblemsInMessage); i++)
        {
            text.Append(Environment.NewLine).Append("  ").Append(problems[i]);
        }

        if (problems.Count > ProblemsInMessage)
        {
            text.Append(Environment.NewLine).Append(CultureInfo.InvariantCulture, $"  … and {problems.Count - ProblemsInMessage} more.");
        }

        return text.ToString();
    }
}
