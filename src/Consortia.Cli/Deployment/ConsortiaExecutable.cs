namespace Consortia.Cli.Deployment;

/// <summary>How to start this program again as a child process.</summary>
internal static class ConsortiaExecutable
{
    /// <summary>
    /// The program and leading arguments that start <c>consortia</c>: the native launcher itself when this process is
    /// it (an installed tool, a published build); otherwise the .NET host with this assembly (under <c>dotnet run</c>,
    /// <c>dotnet consortia.dll</c>, or a test host that loads the CLI as a library).
    /// </summary>
    public static (string Program, IReadOnlyList<string> Leading) Resolve()
    {
        string cli = typeof(ConsortiaExecutable).Assembly.Location;
        string? self = Environment.ProcessPath;
        if (self is not null && string.Equals(Path.GetFileNameWithoutExtension(self), Path.GetFileNameWithoutExtension(cli), StringComparison.Ordinal))
        {
            return (self, []);
        }

        // The host that runs us when it is `dotnet` itself; else the one the SDK names (DOTNET_HOST_PATH), else PATH's.
        string host = self is not null && string.Equals(Path.GetFileNameWithoutExtension(self), "dotnet", StringComparison.Ordinal)
            ? self
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } named ? named : "dotnet";
        return (host, [cli]);
    }
}
