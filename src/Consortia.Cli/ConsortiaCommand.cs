using System.CommandLine;

namespace Consortia.Cli;

/// <summary>Builds the root command and dispatches to the sub-commands.</summary>
internal static class ConsortiaCommand
{
    public static int Run(string[] args)
    {
        RootCommand root = new("Consortia: federated learning for biomedical consortia.");
        return root.Parse(args).Invoke();
    }
}
