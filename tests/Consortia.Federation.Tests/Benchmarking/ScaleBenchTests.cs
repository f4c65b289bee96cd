using Consortia.Data;
using Consortia.Federation.Benchmarking;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Governance.Policies;

namespace Consortia.Federation.Tests.Benchmarking;

/// <summary>The scale benchmark scaled down: every site contributes every round, and idle sites keep less than one model copy each.</summary>
public sealed class ScaleBenchTests
{
    [Fact]
    [Trait("Category", "Slow")] // about 40 s in Debug at a load average of 50 (200 sites composed, 600 updates)
    public async Task RunAsync_200SitesDim1000_EveryRoundAggregatesEverySite()
    {
        ScaleBenchSettings settings = new() { Sites = 200, Rounds = 3, Dimension = 1_000 };

        ScaleBenchResult result = await ScaleBench.RunAsync(settings, TestContext.Current.CancellationToken);

        Assert.True(result.EveryRoundFull);
        Assert.Equal(3, result.RoundsCompleted);
        Assert.Equal(600, result.SiteUpdates);
        Assert.InRange(result.FinalAccuracy, 0.0, 1.0);
        Assert.True(result.PeakWorkingSetBytes > 0 && result.PeakManagedHeapBytes > 0);
    }

    [Fact]
    [Trait("Category", "Slow")] // 200 sites composed and trained once at 10,000 features
    public async Task MeasureIdleSitesAsync_AfterEachSiteTrained_KeepsLessThanOneModelCopyPerSite()
    {
        // At 10,000 features a model copy is 40 KB and a site's own batch buffer was 640 KB (16 rows): a site that kept
        // either after training would exceed the bound. The data shards are allocated before the measurement starts.
        ScaleBenchSettings settings = new() { Sites = 200, Rounds = 1, Dimension = 10_000 };
        FederatedDataset data = ScaleBench.CreateData(settings);
        JobDefinition job = ScaleBench.JobFor(settings, data);
        PolicyEvaluator policy = MeasurementPolicy.Accepting(job.Describe());

        double perSite = await ScaleBench.MeasureIdleSitesAsync(job, data, policy, TestContext.Current.CancellationToken);

        Assert.True(perSite < (settings.Dimension + 1) * sizeof(float), $"an idle site keeps {perSite:F0} bytes");
    }

    [Fact]
    public void Validate_ZeroSites_NamesTheOption()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new ScaleBenchSettings { Sites = 0 }.Validate());

        Assert.StartsWith("--sites", error.Message, StringComparison.Ordinal);
    }
}
