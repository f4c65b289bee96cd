namespace Consortia.Federation.Exploration;

/// <summary>The sites' data cannot be explored as asked; the message names why.</summary>
public sealed class ExplorationException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ExplorationException()
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">What is wrong.</param>
    public ExplorationException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and its cause.</summary>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ExplorationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
