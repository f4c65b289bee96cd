namespace Consortia.Governance.Audit;

/// <summary>A file is not a readable audit ledger, or an entry's payload does not decode.</summary>
public sealed class LedgerFormatException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong, naming the file and entry.</param>
    public LedgerFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its cause.</summary>
    /// <param name="message">What is wrong, naming the file and entry.</param>
    /// <param name="innerException">The cause.</param>
    public LedgerFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
