using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Learning;
using Consortia.Learning.Models;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Consortia.Federation.Tests.Strategies.FedAvg;

public sealed class FedAvgStrategyTests
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 3, []);

    private static RoundInput Input(float[] global, int sites) => new(
        new RoundNumber(1),
        new GlobalModel(s_spec, new ParameterVector(s_spec.CreateLayout(), global), new RoundNumber(0)),
        NoStrategyState.Instance,
        [.. Enumerable.Range(0, sites).Select(i => new SiteId($"s{i}"))],
        new RandomSource(1));

    private static SiteUpdate Update(int site, float[] delta, double weight)
    {
        ParameterVector v = new(s_spec.CreateLayout(), [.. delta.Select(d => (float)(d * weight))]);
        return new SiteUpdate(new SiteId($"s{site}"), v, weight, 0, 1);
    }

    private static Gen<float[]> Vector4 => Gen.Choose(-1000, 1000).Select(i => i / 100f).ArrayOf(4);

    [Property(MaxTest = 100)]
    public Property Aggregate_IdenticalUpdates_ReturnsThatUpdate() =>
        Prop.ForAll(Vector4.ToArbitrary(), Vector4.ToArbitrary(), Gen.Choose(1, 8).ToArbitrary(), (global, delta, sites) =>
        {
            FedAvgStrategy strategy = new(new FedAvgOptions());
            SiteUpdate[] updates = [.. Enumerable.Range(0, sites).Select(i => Update(i, delta, 10 + i))];

            StrategyStep step = strategy.Aggregate(Input(global, sites), new IndividualUpdates(updates));

            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(global[i] + delta[i], step.Parameters.Values[i], 3);
            }
        });

    [Property(MaxTest = 100)]
    public Property Aggregate_SumAndIndividualUpdates_Agree() =>
        Prop.ForAll(Vector4.ArrayOf(5).ToArbitrary(), deltas =>
        {
            FedAvgStrategy strategy = new(new FedAvgOptions());
            float[] global = [0.5f, -0.5f, 1f, 2f];
            SiteUpdate[] updates = [.. deltas.Select((d, i) => Update(i, d, 1 + (3 * i)))];

            StrategyStep fromIndividual = strategy.Aggregate(Input(global, 5), new IndividualUpdates(updates));
            StrategyStep fromSum = strategy.Aggregate(Input(global, 5), SiteSampling.Sum(s_spec.CreateLayout(), updates));

            Assert.True(fromIndividual.Parameters.ContentEquals(fromSum.Parameters));
        });

    [Property(MaxTest = 100)]
    public Property Aggregate_IsInvariantToSiteOrderAndWeightScale() =>
        Prop.ForAll(Vector4.ArrayOf(4).ToArbitrary(), Gen.Choose(2, 9).ToArbitrary(), (deltas, scale) =>
        {
            FedAvgStrategy strategy = new(new FedAvgOptions());
            float[] global = [0f, 0f, 0f, 0f];
            SiteUpdate[] updates = [.. deltas.Select((d, i) => Update(i, d, 2 + i))];
            SiteUpdate[] reversedScaled = [.. deltas.Select((d, i) => Update(i, d, (2 + i) * scale)).Reverse()];

            StrategyStep a = strategy.Aggregate(Input(global, 4), new IndividualUpdates(updates));
            StrategyStep b = strategy.Aggregate(Input(global, 4), new IndividualUpdates(reversedScaled));

            for (int i = 0; i < 4; i++)
            {
                Assert.Equal(a.Parameters.Values[i], b.Parameters.Values[i], 3);
            }
        });

    [Fact]
    public void Aggregate_WeightsByExamples()
    {
        FedAvgStrategy strategy = new(new FedAvgOptions());
        SiteUpdate[] updates = [Update(0, [1, 1, 1, 1], 1), Update(1, [4, 4, 4, 4], 2)];

        StrategyStep step = strategy.Aggregate(Input([0, 0, 0, 0], 2), new IndividualUpdates(updates));

        Assert.Equal(3f, step.Parameters.Values[0], 5);   // (1·1 + 2·4) / 3
    }

    [Fact]
    public void Aggregate_NoContributors_KeepsPreviousModel()
    {
        FedAvgStrategy strategy = new(new FedAvgOptions());
        RoundInput input = Input([1, 2, 3, 4], 2);

        StrategyStep step = strategy.Aggregate(input, new SummedUpdates(new ParameterVector(s_spec.CreateLayout()), 0, 0));

        Assert.Same(input.Model.Parameters, step.Parameters);
    }

    [Fact]
    public void PlanTraining_FractionFit_SamplesDeterministicallyInRosterOrder()
    {
        FedAvgStrategy strategy = new(new FedAvgOptions { FractionFit = 0.3 });
        RoundInput input = Input([0, 0, 0, 0], 10);

        TrainingPlan a = strategy.PlanTraining(input);
        TrainingPlan b = strategy.PlanTraining(input);

        Assert.Equal(3, a.Sites.Count);
        Assert.Equal(a.Sites, b.Sites);
        Assert.Equal(a.Sites.OrderBy(s => int.Parse(s.Value[1..], System.Globalization.CultureInfo.InvariantCulture)), a.Sites);
    }
}
