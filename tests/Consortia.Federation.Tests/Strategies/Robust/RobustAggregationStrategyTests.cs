using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.Robust;
using Consortia.Learning;
using Consortia.Learning.Models;

namespace Consortia.Federation.Tests.Strategies.Robust;

public sealed class RobustAggregationStrategyTests
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 1, []);

    private static StrategyStep Aggregate(RobustOptions options, params float[] deltas)
    {
        RobustAggregationStrategy strategy = new(options);
        GlobalModel model = new(s_spec, new ParameterVector(s_spec.CreateLayout()), new RoundNumber(0));
        RoundInput input = new(new RoundNumber(1), model, strategy.InitialState(model), [.. deltas.Select((_, i) => new SiteId($"s{i}"))], new RandomSource(1));
        SiteUpdate[] updates = [.. deltas.Select((d, i) => new SiteUpdate(new SiteId($"s{i}"), new ParameterVector(s_spec.CreateLayout(), [d * 10, d * 10]), 10, 0, 1))];
        return strategy.Aggregate(input, new IndividualUpdates(updates));
    }

    [Fact]
    public void Median_OneHugeOutlier_IsIgnored()
    {
        StrategyStep step = Aggregate(new RobustOptions { Rule = RobustRule.Median }, 1f, 1.1f, 0.9f, 1000f);

        Assert.InRange(step.Parameters.Values[0], 0.9f, 1.1f);
    }

    [Fact]
    public void TrimmedMean_CutsBothEnds()
    {
        StrategyStep step = Aggregate(new RobustOptions { Rule = RobustRule.TrimmedMean, TrimFraction = 0.2 }, -1000f, 1f, 2f, 3f, 1000f);

        Assert.Equal(2f, step.Parameters.Values[0], 5);
    }

    [Fact]
    public void Krum_PicksAnUpdateFromTheHonestCluster()
    {
        StrategyStep step = Aggregate(new RobustOptions { Rule = RobustRule.Krum, ByzantineSites = 1 }, 1f, 1.05f, 0.95f, 1.02f, -50f);

        Assert.InRange(step.Parameters.Values[0], 0.95f, 1.05f);
    }

    [Fact]
    public void Traits_NeedIndividualUpdates()
    {
        Assert.True(new RobustAggregationStrategy(new RobustOptions()).Traits.NeedsIndividualUpdates);
    }

    [Fact]
    public void Aggregate_GivenOnlyASum_Throws()
    {
        RobustAggregationStrategy strategy = new(new RobustOptions());
        GlobalModel model = new(s_spec, new ParameterVector(s_spec.CreateLayout()), new RoundNumber(0));
        RoundInput input = new(new RoundNumber(1), model, strategy.InitialState(model), [new SiteId("a")], new RandomSource(1));

        Assert.Throws<InvalidOperationException>(() => strategy.Aggregate(input, new SummedUpdates(new ParameterVector(s_spec.CreateLayout()), 1, 1)));
    }
}
