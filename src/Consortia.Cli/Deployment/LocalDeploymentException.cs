namespace Consortia.Cli.Deployment;

/// <summary>A local deployment could not be set up, or its job did not complete; the message says which process and why.</summary>
internal sealed class LocalDeploymentException : Exception
{
    /// <summary>Creates the exception.</summary>
    public LocalDeploymentException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public LocalDeploymentException(string message, Exception inner)
        : base(message, inner)
    {
    }

    /// <summary>Creates the exception.</summary>
    public LocalDeploymentException()
    {
    }
}
