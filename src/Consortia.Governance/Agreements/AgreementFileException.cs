using Consortia.Yaml;

namespace Consortia.Governance.Agreements;

/// <summary>An agreement file (or its signatures) cannot be read or is invalid; the message names the file, the line and the field.</summary>
public sealed class AgreementFileException : Exception
{
    /// <summary>Creates the exception from a located problem.</summary>
    /// <param name="filePath">The file.</param>
    /// <param name="line">The 1-based line, or <see langword="null"/> when unknown.</param>
    /// <param name="column">The 1-based column, or <see langword="null"/> when unknown.</param>
    /// <param name="field">The dotted field path (empty for the whole file).</param>
    /// <param name="problem">What is wrong and what was expected.</param>
    public AgreementFileException(string filePath, long? line, long? column, string field, string problem)
        : base(YamlText.FormatError(filePath, line, column, field, problem))
    {
        FilePath = filePath;
        Line = line;
        Field = field;
        Problem = problem;
    }

    /// <summary>The file.</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line of the problem, or <see langword="null"/> when unknown.</summary>
    public long? Line { get; }

    /// <summary>The dotted path of the offending field, e.g. <c>protections.differential_privacy.epsilon_per_job</c>; empty for the whole file.</summary>
    public string Field { get; }

    /// <summary>What is wrong, without the location.</summary>
    public string Problem { get; }
}
