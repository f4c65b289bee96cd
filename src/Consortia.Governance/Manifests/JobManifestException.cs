using Consortia.Governance.Policies;

namespace Consortia.Governance.Manifests;

/// <summary>A job file cannot be read for policy checking; the message names the file, the line and the field.</summary>
public sealed class JobManifestException : Exception
{
    /// <summary>Creates the exception from a located problem.</summary>
    /// <param name="filePath">The job file.</param>
    /// <param name="line">The 1-based line, or <see langword="null"/> when unknown.</param>
    /// <param name="column">The 1-based column, or <see langword="null"/> when unknown.</param>
    /// <param name="field">The dotted field path (empty for the whole file).</param>
    /// <param name="problem">What is wrong and what was expected.</param>
    public JobManifestException(string filePath, long? line, long? column, string field, string problem)
        : base(PolicyFileException.Format(filePath, line, column, field, problem))
    {
        FilePath = filePath;
        Line = line;
        Field = field;
    }

    /// <summary>The job file.</summary>
    public string FilePath { get; }

    /// <summary>The 1-based line of the problem, or <see langword="null"/> when unknown.</summary>
    public long? Line { get; }

    /// <summary>The dotted path of the offending field; empty for the whole file.</summary>
    public string Field { get; }
}
