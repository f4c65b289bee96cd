using System.CommandLine;

namespace Consortia.Cli.Tests;

/// <summary>Runs the real root command in-process with captured output.</summary>
internal static class CliRunner
{
    public static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using StringWriter stdout = new();
        using StringWriter stderr = new();
        int exit = await ConsortiaCommand.Create().Parse(args).InvokeAsync(
            new InvocationConfiguration { Output = stdout, Error = stderr },
            TestContext.Current.CancellationToken);
        return (exit, stdout.ToString(), stderr.ToString());
    }
}
