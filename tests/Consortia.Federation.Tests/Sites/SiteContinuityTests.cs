using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Federation.Tests.Sites;

/// <summary>
/// A site restarted in the middle of a job continues it exactly (SCAFFOLD's cᵢ from its saved state), and a deployed
/// site's randomness is its own: the coordinator's job seed does not determine it.
/// </summary>
public sealed class SiteContinuityTests
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);

    private static JobDefinition JobOf(FederatedDataset data) => TestSites.Job(s_spec, 8, [MetricKind.Accuracy], data.Sites[0].Train.FeatureNames);

    private static SiteAgent Site(FederatedDataset data, SiteRandomness randomness, string? statePath)
    {
        JobDefinition job = JobOf(data);
        return new SiteBuilder
        {
            Job = job, Site = new SiteId(data.Sites[0].Name), Train = data.Sites[0].Train, Test = data.Sites[0].Test, Task = data.Task,
            Randomness = randomness, Time = new FakeTimeProvider(), Policy = TestSites.Accepting(job), StatePath = statePath,
        }.Build();
    }

    private static TrainTask Scaffold(SiteAgent agent, int round, float serverControl) =>
        new(agent.Site, new RoundNumber(round), new ParameterVector(s_spec.CreateLayout()), new LocalTrainingOptions { BatchSize = 8, LocalSteps = 3 },
            ControlVariate: new ParameterVector(s_spec.CreateLayout(), Enumerable.Repeat(serverControl, s_spec.CreateLayout().Length).ToArray())) { Participants = 4, JobSha256 = JobOf(Some.ClassificationFederation()).ContentSha256 };

    private static async Task<float[]> TrainAsync(SiteAgent agent, TrainTask task)
    {
        TrainingCompleted completed = Assert.IsType<TrainingCompleted>(await agent.HandleAsync(task, TestContext.Current.CancellationToken));
        return [.. completed.Update.WeightedDelta.Values.ToArray(), .. completed.Update.ControlVariateDelta!.Values.ToArray()];
    }

    [Fact]
    public async Task Scaffold_SiteRestartedAfterRoundTwo_SendsRoundThreeAsIfItNeverStopped()
    {
        FederatedDataset data = Some.ClassificationFederation();
        using TempDirectory temp = new();
        using SiteAgent steady = Site(data, SiteRandomness.Seeded(new RandomSource(4)), temp.File("steady.state"));
        using (SiteAgent first = Site(data, SiteRandomness.Seeded(new RandomSource(4)), temp.File("restarted.state")))
        {
            for (int round = 1; round <= 2; round++)
            {
                Assert.Equal(await TrainAsync(steady, Scaffold(steady, round, 0.01f * round)), await TrainAsync(first, Scaffold(first, round, 0.01f * round)));
            }
        }

        using SiteAgent restarted = Site(data, SiteRandomness.Seeded(new RandomSource(4)), temp.File("restarted.state"));
        using SiteAgent forgetful = Site(data, SiteRandomness.Seeded(new RandomSource(4)), statePath: null);

        float[] expected = await TrainAsync(steady, Scaffold(steady, 3, 0.03f));
        Assert.Equal(expected, await TrainAsync(restarted, Scaffold(restarted, 3, 0.03f)));
        Assert.NotEqual(expected, await TrainAsync(forgetful, Scaffold(forgetful, 3, 0.03f))); // without its state, cᵢ restarts at zero
    }

    [Fact]
    public async Task Scaffold_RoundRepeatedAfterACoordinatorCrash_ContinuesFromTheStateBeforeThatRound()
    {
        FederatedDataset data = Some.ClassificationFederation();
        using TempDirectory temp = new();
        float[] roundThree = [];
        using (SiteAgent site = Site(data, SiteRandomness.Seeded(new RandomSource(4)), temp.File("site.state")))
        {
            for (int round = 1; round <= 3; round++)
            {
                roundThree = await TrainAsync(site, Scaffold(site, round, 0.01f * round)); // round 3 trained, never completed: the coordinator crashed
            }
        }

        using SiteAgent restarted = Site(data, SiteRandomness.Seeded(new RandomSource(4)), temp.File("site.state"));

        Assert.Equal(roundThree, await TrainAsync(restarted, Scaffold(restarted, 3, 0.03f))); // cᵢ as after round 2, not after the lost round 3
    }

    [Fact]
    public async Task DamagedState_RefusesToTrainNamingTheProblem_AndBuildRejectsAForeignFile()
    {
        FederatedDataset data = Some.ClassificationFederation();
        using TempDirectory temp = new();
        string path = temp.File("site.state");
        using (SiteAgent site = Site(data, SiteRandomness.Seeded(new RandomSource(4)), path))
        {
            await TrainAsync(site, Scaffold(site, 1, 0.01f));
        }

        byte[] bytes = await File.ReadAllBytesAsync(path, TestContext.Current.CancellationToken);
        bytes[10] ^= 0x40;
        await File.WriteAllBytesAsync(path, bytes, TestContext.Current.CancellationToken);

        InvalidDataException damaged = Assert.Throws<InvalidDataException>(() => Site(data, SiteRandomness.Seeded(new RandomSource(4)), path));
        Assert.Contains(path, damaged.Message, StringComparison.Ordinal);
        Assert.Contains("damaged", damaged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CryptographicRandomness_SameJobSeed_SitesDrawTheirOwnBatches_SeededOnesRepeat()
    {
        FederatedDataset data = Some.ClassificationFederation();
        using SiteAgent privateA = Site(data, SiteRandomness.Cryptographic, null), privateB = Site(data, SiteRandomness.Cryptographic, null);
        using SiteAgent seededA = Site(data, SiteRandomness.Seeded(new RandomSource(9)), null), seededB = Site(data, SiteRandomness.Seeded(new RandomSource(9)), null);

        Assert.NotEqual(await TrainAsync(privateA, Scaffold(privateA, 1, 0f)), await TrainAsync(privateB, Scaffold(privateB, 1, 0f)));
        Assert.Equal(await TrainAsync(seededA, Scaffold(seededA, 1, 0f)), await TrainAsync(seededB, Scaffold(seededB, 1, 0f)));
        Assert.True(SiteRandomness.Cryptographic.IsPrivate);
        Assert.False(SiteRandomness.Seeded(new RandomSource(9)).IsPrivate);
    }
}
