using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.Simulation;
using Consortia.Federation.Sites;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Federation.Tests.Simulation;

/// <summary>What a malicious simulated site sends, against the same site built honest.</summary>
public sealed class MaliciousSitesTests
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);
    private static readonly LocalTrainingOptions s_training = new() { BatchSize = 8, LocalSteps = 10, Optimizer = new() { LearningRate = 0.1f } };

    private static async Task<SiteUpdate> UpdateOf(MaliciousSite? attack)
    {
        FederatedDataset data = Some.ClassificationFederation();
        JobDefinition job = TestSites.Job(s_spec, 8, [MetricKind.Accuracy], data.Sites[0].Train.FeatureNames, s_training);
        using SiteAgent agent = new SiteBuilder
        {
            Job = job, Site = new SiteId(data.Sites[0].Name), Train = data.Sites[0].Train, Test = data.Sites[0].Test, Task = data.Task,
            Randomness = SiteRandomness.Seeded(new RandomSource(7)), Time = new FakeTimeProvider(), Policy = TestSites.Accepting(job), Attack = attack,
        }.Build();
        TrainTask task = new(agent.Site, new RoundNumber(1), new ParameterVector(s_spec.CreateLayout()), s_training) { Participants = 4, JobSha256 = TestSites.JobSha256 };
        return Assert.IsType<TrainingCompleted>(await agent.HandleAsync(task, TestContext.Current.CancellationToken)).Update;
    }

    [Theory]
    [InlineData(AttackKind.SignFlip, 3.0, -3f)]
    [InlineData(AttackKind.Scale, 10.0, 10f)]
    public async Task SignFlipAndScale_SendTheHonestUpdateTimesTheFactor(AttackKind attack, double factor, float expected)
    {
        SiteUpdate honest = await UpdateOf(null);
        SiteUpdate poisoned = await UpdateOf(new MaliciousSite("ignored", attack, factor));

        Assert.Equal(honest.Weight, poisoned.Weight);
        float[] sent = poisoned.WeightedDelta.Values.ToArray();
        float[] scaled = [.. honest.WeightedDelta.Values.ToArray().Select(v => v * expected)];
        // The site scales before weighting, so (Δ·f)·w and (Δ·w)·f differ in the last float bit.
        Assert.All(Enumerable.Range(0, sent.Length), i => Assert.Equal(scaled[i], sent[i], 1e-5 * Math.Max(1, Math.Abs(scaled[i]))));
    }

    [Fact]
    public async Task LabelFlip_TrainsOnFlippedLabels()
    {
        Dataset train = Some.ClassificationFederation().Sites[0].Train;
        Dataset flipped = new MaliciousSite("s", AttackKind.LabelFlip).Poison(train);
        SiteUpdate honest = await UpdateOf(null);
        SiteUpdate poisoned = await UpdateOf(new MaliciousSite("s", AttackKind.LabelFlip));

        Assert.Equal(train.Labels.ToArray().Select(y => 1f - y), flipped.Labels.ToArray());
        Assert.Equal(train.Features.ToArray(), flipped.Features.ToArray());
        // From zero weights the first gradient step on flipped labels points the opposite way.
        Assert.True(honest.WeightedDelta.Values[^1] * poisoned.WeightedDelta.Values[^1] < 0, "the bias moves the other way");
    }

    [Fact]
    public async Task Simulation_MaliciousSiteNotInTheData_IsAnErrorNamingTheSites()
    {
        FederatedDataset data = Some.ClassificationFederation();
        JobDefinition job = TestSites.Job(s_spec, 8, [MetricKind.Accuracy], data.Sites[0].Train.FeatureNames, s_training)
            with { Malicious = [new MaliciousSite("nowhere", AttackKind.SignFlip)], Engine = new RoundEngineOptions { Rounds = 1 } };

        JobFileException error = await Assert.ThrowsAsync<JobFileException>(() => FederatedSimulation.RunAsync(job, data, null, null, _ => TestSites.Accepting(job), TestContext.Current.CancellationToken));

        Assert.Contains("simulation.malicious: site 'nowhere'", error.Message, StringComparison.Ordinal);
        Assert.Contains(data.Sites[0].Name, error.Message, StringComparison.Ordinal);
    }
}
