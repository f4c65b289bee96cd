using Consortia.TestKit;

namespace Consortia.Cli.Tests.Deployment;

/// <summary>
/// <c>simulate --transport grpc</c> checks that need no process (the runs themselves are end-to-end tests:
/// tests/Consortia.EndToEnd.Tests/GrpcSimulationTests.cs).
/// </summary>
public sealed class DeployedSimulationTests
{
    [Fact]
    public async Task JobWithoutPolicies_IsRefusedUpFront_NamingTheSection()
    {
        using TempDirectory temp = new();
        string job = temp.File("unpoliced.yaml");
        await File.WriteAllTextAsync(job, string.Join('\n',
            "version: 1",
            "name: unpoliced",
            "data:",
            "  format: flamby-heart-disease",
            $"  path: {RepositoryPaths.Combine("data", "fed-heart-disease")}",
            "model:",
            "  kind: logistic",
            "training:",
            "  rounds: 1",
            "strategy:",
            "  kind: fedavg",
            ""), TestContext.Current.CancellationToken);

        (int exit, string output, string error) = await CliRunner.RunAsync("simulate", job, "--transport", "grpc", "--json");

        Assert.Equal(1, exit);
        Assert.Empty(output);
        Assert.Contains("unpoliced.yaml over gRPC: the job has no policies: section", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownTransport_IsABadArgument_ListingTheChoices()
    {
        (int exit, _, string error) = await CliRunner.RunAsync("simulate", RepositoryPaths.Combine("examples", "heart-disease", "fedavg.yaml"), "--transport", "carrier-pigeon");

        Assert.NotEqual(0, exit);
        Assert.Contains("carrier-pigeon", error, StringComparison.Ordinal);
        Assert.Contains("grpc", error, StringComparison.Ordinal);
        Assert.Contains("inprocess", error, StringComparison.Ordinal);
    }
}
