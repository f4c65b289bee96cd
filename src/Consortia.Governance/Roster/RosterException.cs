namespace Consortia.Governance.Roster;

/// <summary>A roster file is malformed, tampered with, or carries a join statement its member did not sign.</summary>
public sealed class RosterException : Exception
{
    /// <summary>Creates the exception.</summary>
    public RosterException()
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the source and the field.</param>
    public RosterException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the source and the field.</param>
    /// <param name="inner">The underlying error.</param>
    public RosterException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
