using System.CommandLine;

namespace Consortia.Cli.Commands;

/// <summary><c>consortia bench …</c>: measured benchmarks of the platform.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        Command bench = new("bench", "Benchmarks: FLamby's protocol and published results, and the cost of protections.");
        bench.Subcommands.Add(BenchFlambyCommand.Create());
        bench.Subcommands.Add(SecAggBenchCommand.Create());
        bench.Subcommands.Add(BenchDpCommand.Create());
        bench.Subcommands.Add(BenchDeploymentCommand.Create());
        bench.Subcommands.Add(BenchTrainCommand.Create());
        bench.Subcommands.Add(BenchScaleCommand.Create());
        bench.Subcommands.Add(BenchHeterogeneityCommand.Create());
        bench.Subcommands.Add(BenchPoisoningCommand.Create());
        return bench;
    }
}
