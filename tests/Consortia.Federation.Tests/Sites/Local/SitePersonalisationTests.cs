using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Federation.Sites.Local;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Federation.Tests.Sites.Local;

/// <summary>Personal parameters stay at the site: what the site sends is inspected directly.</summary>
public sealed class SitePersonalisationTests
{
    private static readonly LocalTrainingOptions s_training = new() { BatchSize = 8, LocalSteps = 10, Optimizer = new() { LearningRate = 0.1f } };

    private static SiteAgent Agent(FederatedDataset data, ModelSpec spec, PersonalisationSettings? personalisation)
    {
        JobDefinition job = TestSites.Job(spec, 8, [MetricKind.Accuracy, MetricKind.LogLoss], data.Sites[0].Train.FeatureNames, s_training) with { Personalisation = personalisation };
        return new SiteBuilder
        {
            Job = job, Site = new SiteId(data.Sites[0].Name), Train = data.Sites[0].Train, Test = data.Sites[0].Test, Task = data.Task,
            Randomness = SiteRandomness.Seeded(new RandomSource(7)), Time = new FakeTimeProvider(), Policy = TestSites.Accepting(job),
        }.Build();
    }

    private static TrainTask Train(SiteAgent agent, int round, ParameterVector global) =>
        new(agent.Site, new RoundNumber(round), global, s_training) { Participants = 4, JobSha256 = TestSites.JobSha256 };

    private static EvaluateTask Evaluate(SiteAgent agent, int round, ParameterVector global) =>
        new(agent.Site, new RoundNumber(round), global) { JobSha256 = TestSites.JobSha256, Contributors = 4 };

    private static ParameterVector Initial(ModelSpec spec)
    {
        ParameterVector p = new(spec.CreateLayout());
        spec.CreateModel(1).Initialize(p.Values, new RandomSource(3));
        return p;
    }

    [Fact]
    public async Task Ditto_SendsExactlyTheUpdateOfAPlainSite_AndKeepsItsPersonalModelHome()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        FederatedDataset data = Some.ClassificationFederation();
        ModelSpec spec = new(ModelKind.Logistic, 5, []);
        ParameterVector global = Initial(spec);
        using SiteAgent plain = Agent(data, spec, null);
        using SiteAgent ditto = Agent(data, spec, new PersonalisationSettings { Method = PersonalisationMethod.Ditto, Lambda = 0.1 });

        SiteUpdate plainUpdate = Assert.IsType<TrainingCompleted>(await plain.HandleAsync(Train(plain, 1, global), ct)).Update;
        SiteUpdate dittoUpdate = Assert.IsType<TrainingCompleted>(await ditto.HandleAsync(Train(ditto, 1, global), ct)).Update;
        EvaluationReport report = Assert.IsType<EvaluationCompleted>(await ditto.HandleAsync(Evaluate(ditto, 1, global), ct)).Report;

        // The update is the global model's only: bit for bit what a site without personalisation sends.
        Assert.Equal(plainUpdate.WeightedDelta.Values.ToArray(), dittoUpdate.WeightedDelta.Values.ToArray());
        Assert.Equal(plainUpdate.Weight, dittoUpdate.Weight);
        // The personal model exists (its metrics differ from the global model's), yet only its metrics are released.
        IReadOnlyList<MetricValue> personal = Assert.IsAssignableFrom<IReadOnlyList<MetricValue>>(report.Personal);
        Assert.Equal(report.Metrics.Select(m => m.Kind), personal.Select(m => m.Kind));
        Assert.NotEqual(report.Metrics[1].Value, personal[1].Value);
    }

    [Fact]
    public async Task Ditto_LargeLambda_KeepsThePersonalModelAtTheGlobalOne_ZeroLambdaTrainsLocally()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        FederatedDataset data = Some.ClassificationFederation();
        ModelSpec spec = new(ModelKind.Logistic, 5, []);
        ParameterVector global = Initial(spec);
        using SiteAgent pinned = Agent(data, spec, new PersonalisationSettings { Method = PersonalisationMethod.Ditto, Lambda = 9.0, LearningRate = 0.1f });
        using SiteAgent free = Agent(data, spec, new PersonalisationSettings { Method = PersonalisationMethod.Ditto, Lambda = 0 });

        double Personal(EvaluationReport r) => r.Personal![1].Value; // log-loss
        await pinned.HandleAsync(Train(pinned, 1, global), ct);
        await free.HandleAsync(Train(free, 1, global), ct);
        EvaluationReport pinnedReport = Assert.IsType<EvaluationCompleted>(await pinned.HandleAsync(Evaluate(pinned, 1, global), ct)).Report;
        EvaluationReport freeReport = Assert.IsType<EvaluationCompleted>(await free.HandleAsync(Evaluate(free, 1, global), ct)).Report;

        // λ·η = 0.9: each step pulls v most of the way back to w, so v stays near w; with λ = 0, v trains on the site's data alone.
        Assert.InRange(Math.Abs(Personal(pinnedReport) - pinnedReport.Metrics[1].Value), 0, Math.Abs(Personal(freeReport) - freeReport.Metrics[1].Value) / 4);
        Assert.True(Personal(freeReport) < freeReport.Metrics[1].Value, "local training lowers the site's own test log-loss from the initial model's");
    }

    [Fact]
    public async Task FineTune_Mlp_SendsZerosForTheHead_AndKeepsTheTrainedHead()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        FederatedDataset data = Some.ClassificationFederation();
        ModelSpec spec = new(ModelKind.Mlp, 5, [6]);
        ParameterVector global = Initial(spec);
        using SiteAgent plain = Agent(data, spec, null);
        using SiteAgent fedPer = Agent(data, spec, new PersonalisationSettings { Method = PersonalisationMethod.FineTune });
        ParameterSegment[] head = SitePersonalisation.HeadOf(spec, global.Layout);

        SiteUpdate plainUpdate = Assert.IsType<TrainingCompleted>(await plain.HandleAsync(Train(plain, 1, global), ct)).Update;
        SiteUpdate first = Assert.IsType<TrainingCompleted>(await fedPer.HandleAsync(Train(fedPer, 1, global), ct)).Update;
        SiteUpdate second = Assert.IsType<TrainingCompleted>(await fedPer.HandleAsync(Train(fedPer, 2, global), ct)).Update;
        EvaluationReport report = Assert.IsType<EvaluationCompleted>(await fedPer.HandleAsync(Evaluate(fedPer, 2, global), ct)).Report;

        Assert.Equal(["layer1.weight", "layer1.bias"], head.Select(s => s.Name));
        foreach (SiteUpdate update in new[] { first, second })
        {
            Assert.All(head, s => Assert.All(update.WeightedDelta.Values.Slice(s.Offset, s.Length).ToArray(), v => Assert.Equal(0f, v)));
        }

        // A plain site's head moves (so the zeros above are withheld values, not an untrained head) …
        Assert.Contains(plainUpdate.WeightedDelta.Values.Slice(head[0].Offset, head[0].Length).ToArray(), v => v != 0f);
        // … the body is federated: round 1 starts from the same parameters as the plain site, so its body update is the same;
        // round 2 starts from the site's own head, so the body update changes.
        ParameterSegment body = global.Layout["layer0.weight"];
        Assert.Equal(plainUpdate.WeightedDelta.Values.Slice(body.Offset, body.Length).ToArray(), first.WeightedDelta.Values.Slice(body.Offset, body.Length).ToArray());
        Assert.NotEqual(first.WeightedDelta.Values.Slice(body.Offset, body.Length).ToArray(), second.WeightedDelta.Values.Slice(body.Offset, body.Length).ToArray());
        Assert.NotNull(report.Personal);
        Assert.NotEqual(report.Metrics[1].Value, report.Personal[1].Value);
    }

    [Fact]
    public async Task FineTune_Logistic_HasNoHead_SendsThePlainUpdate_AndFineTunesAtEvaluation()
    {
        CancellationToken ct = TestContext.Current.CancellationToken;
        FederatedDataset data = Some.ClassificationFederation();
        ModelSpec spec = new(ModelKind.Logistic, 5, []);
        ParameterVector global = Initial(spec);
        using SiteAgent plain = Agent(data, spec, null);
        using SiteAgent tuned = Agent(data, spec, new PersonalisationSettings { Method = PersonalisationMethod.FineTune });

        SiteUpdate plainUpdate = Assert.IsType<TrainingCompleted>(await plain.HandleAsync(Train(plain, 1, global), ct)).Update;
        SiteUpdate tunedUpdate = Assert.IsType<TrainingCompleted>(await tuned.HandleAsync(Train(tuned, 1, global), ct)).Update;
        EvaluationReport report = Assert.IsType<EvaluationCompleted>(await tuned.HandleAsync(Evaluate(tuned, 1, global), ct)).Report;

        Assert.Empty(SitePersonalisation.HeadOf(spec, global.Layout));
        Assert.Equal(plainUpdate.WeightedDelta.Values.ToArray(), tunedUpdate.WeightedDelta.Values.ToArray());
        Assert.True(report.Personal![1].Value < report.Metrics[1].Value, "fine-tuning the initial model on the site's data lowers its test log-loss");
    }
}
