using Consortia.Data;
using Consortia.Federation.Benchmarking;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Benchmarking;

public sealed class HeterogeneityBenchmarkTests
{
    [Fact]
    public async Task BestSchedulingReachesTheBalancedAccuracyWithinOneAndAHalfTimesItsTime()
    {
        string folder = RepositoryPaths.Combine("data", "fed-heart-disease");
        FederatedDataset data = FederatedDataLoader.Load(new DataSourceOptions { Format = DataFormat.FlambyHeartDisease, Path = folder }, folder);

        HeterogeneityBenchmarkResult result = await HeterogeneityBenchmark.RunAsync(data, folder, seed: 42, rounds: 15, TestContext.Current.CancellationToken);

        HeterogeneityBenchmarkRow sync = Assert.Single(result.Rows, r => r.Consortium == "heterogeneous" && r.Strategy == "fedavg-sync");
        double best = result.Rows.Where(r => r.Consortium == "heterogeneous" && r.Strategy != "fedavg-sync").Min(r => r.TimeRatio ?? double.PositiveInfinity);
        Assert.InRange(best, 0, 1.5);
        Assert.True(sync.TimeRatio is null || sync.TimeRatio > best, $"synchronous FedAvg took {sync.TimeRatio}× the balanced time, the best scheduling {best}×");
    }
}
