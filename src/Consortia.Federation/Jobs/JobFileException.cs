namespace Consortia.Federation.Jobs;

/// <summary>A job file that cannot be used, with the file, line, column and field at fault.</summary>
public sealed class JobFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="file">The job file path.</param>
    /// <param name="line">The 1-based line, or 0 when unknown.</param>
    /// <param name="column">The 1-based column, or 0 when unknown.</param>
    /// <param name="field">The dotted field path (e.g. <c>training.batch_size</c>).</param>
    /// <param name="problem">What is wrong and what was expected.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public JobFileException(string file, int line, int column, string field, string problem, Exception? inner = null)
        : base(Consortia.Yaml.YamlText.FormatError(file, line, column, field, problem), inner)
    {
        File = file;
        Line = line;
        Column = column;
        Field = field;
        Problem = problem;
    }

    /// <summary>Creates an exception with a plain message (for serializers and tooling).</summary>
    public JobFileException()
        : this("<job>", 0, 0, "", "invalid job file")
    {
    }

    /// <summary>Creates an exception with a plain message.</summary>
    /// <param name="message">The message.</param>
    public JobFileException(string message)
        : this("<job>", 0, 0, "", message)
    {
    }

    /// <summary>Creates an exception with a plain message and an inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public JobFileException(string message, Exception innerException)
        : this("<job>", 0, 0, "", message, innerException)
    {
    }

    /// <summary>The job file path.</summary>
    public string File { get; }

    /// <summary>The 1-based line, or 0 when unknown.</summary>
    public int Line { get; }

    /// <summary>The 1-based column, or 0 when unknown.</summary>
    public int Column { get; }

    /// <summary>The dotted field path.</summary>
    public string Field { get; }

    /// <summary>What is wrong and what was expected.</summary>
    public string Problem { get; }
}
