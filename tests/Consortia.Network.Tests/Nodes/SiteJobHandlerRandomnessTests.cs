using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Learning;
using Consortia.Learning.Training;
using Consortia.Network.Configuration;
using Consortia.Network.Node;
using Consortia.TestKit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Consortia.Network.Tests.Nodes;

/// <summary>
/// A deployed node draws its randomness from its own cryptographic generator unless its operator configures
/// <c>randomness: seeded</c> (to reproduce a simulation), which its ledger then records as not private.
/// </summary>
public sealed class SiteJobHandlerRandomnessTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private NodeConfig Config(string name, bool seeded) => new()
    {
        Site = "cleveland",
        Coordinator = "https://127.0.0.1:1",
        Policy = RepositoryPaths.Combine("examples", "policies", "heart-disease-research.yaml"), // allows plain updates
        State = _dir.File(name),
        Data = new NodeDataConfig { Path = RepositoryPaths.Combine("data", "fed-heart-disease"), Site = "cleveland" },
        Randomness = seeded ? "seeded" : "cryptographic",
    };

    private static async Task<float[]> TrainRoundOneAsync(SiteJobHandler handler)
    {
        string job = await File.ReadAllTextAsync(RepositoryPaths.Combine("examples", "heart-disease", "fedavg.yaml"), TestContext.Current.CancellationToken);
        JobReadiness ready = await handler.PrepareJobAsync("job-1", job, TestContext.Current.CancellationToken);
        Assert.True(ready.Accepted, ready.Message);
        ParameterVector global = new(new Learning.Models.ModelSpec(Learning.Models.ModelKind.Logistic, ready.FeatureCount, []).CreateLayout());
        TrainTask task = new(handler.Site, new RoundNumber(1), global, new LocalTrainingOptions { BatchSize = 4, LocalSteps = 10 }) { Participants = 4, JobSha256 = Consortia.Governance.Audit.Sha256Hex.OfText(job) };
        SiteReply reply = await handler.HandleAsync("job-1", task, TestContext.Current.CancellationToken);
        return [.. Assert.IsType<TrainingCompleted>(reply).Update.WeightedDelta.Values.ToArray()];
    }

    [Fact]
    public async Task DefaultNodes_DrawTheirOwnBatches_SeededNodesRepeatTheSimulationsAndLedgerIt()
    {
        float[] a, b, c, d;
        using (SiteJobHandler first = new(Config("a", seeded: false), TimeProvider.System, NullLogger.Instance))
        using (SiteJobHandler second = new(Config("b", seeded: false), TimeProvider.System, NullLogger.Instance))
        {
            (a, b) = (await TrainRoundOneAsync(first), await TrainRoundOneAsync(second));
        }

        using (SiteJobHandler first = new(Config("c", seeded: true), TimeProvider.System, NullLogger.Instance))
        using (SiteJobHandler second = new(Config("d", seeded: true), TimeProvider.System, NullLogger.Instance))
        {
            (c, d) = (await TrainRoundOneAsync(first), await TrainRoundOneAsync(second));
        }

        Assert.NotEqual(a, b); // the job seed does not decide a default node's batches
        Assert.Equal(c, d);
        Assert.DoesNotContain(Randomness(_dir.File("a")), e => e.Item == "site-randomness");
        ConfigurationChangeEvent seeded = Assert.Single(Randomness(_dir.File("c")), e => e.Item == "site-randomness");
        Assert.Contains("NOT private", seeded.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownRandomness_IsRefusedNamingTheFieldAndTheChoices()
    {
        string path = _dir.File("site.yaml");
        File.WriteAllText(path, "site: cleveland\ncoordinator: https://127.0.0.1:7443\nrandomness: sometimes\ndata:\n  path: data\n  site: cleveland\n");

        ConfigurationException error = Assert.Throws<ConfigurationException>(() => NodeConfig.Load(path));

        Assert.Contains("randomness: expected 'cryptographic' or 'seeded', got 'sometimes'", error.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<ConfigurationChangeEvent> Randomness(string state) =>
        LedgerReader.Read(Path.Combine(state, "ledger.db")).Entries.Select(e => e.Event).OfType<ConfigurationChangeEvent>();
}
