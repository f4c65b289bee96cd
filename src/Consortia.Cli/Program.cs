namespace Consortia.Cli;

/// <summary>The <c>consortia</c> command-line entry point.</summary>
internal static class Program
{
    public static int Main(string[] args) => ConsortiaCommand.Run(args);
}
