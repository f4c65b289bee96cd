using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Strategies.Robust;
using Consortia.Learning;
using Consortia.Learning.Models;

namespace Consortia.Federation.Tests.Strategies.Robust;

public sealed class NormBoundingStrategyTests
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 1, []);

    /// <summary>Each site sends (d, 0) with weight 10; the step is FedAvg's weighted mean of the bounded updates.</summary>
    private static float Step(double? bound, params float[] deltas)
    {
        NormBoundingStrategy strategy = new(new FedAvgStrategy(new FedAvgOptions()), bound);
        GlobalModel model = new(s_spec, new ParameterVector(s_spec.CreateLayout()), new RoundNumber(0));
        RoundInput input = new(new RoundNumber(1), model, strategy.InitialState(model), [.. deltas.Select((_, i) => new SiteId($"s{i}"))], new RandomSource(1));
        SiteUpdate[] updates = [.. deltas.Select((d, i) => new SiteUpdate(new SiteId($"s{i}"), new ParameterVector(s_spec.CreateLayout(), [d * 10, 0]), 10, 0, 1))];
        return strategy.Aggregate(input, new IndividualUpdates(updates)).Parameters.Values[0];
    }

    [Fact]
    public void FixedBound_ScalesOnlyUpdatesAboveIt()
    {
        Assert.True(new NormBoundingStrategy(new FedAvgStrategy(new FedAvgOptions()), 1.0).Traits.NeedsIndividualUpdates);
        // 0.5 kept, −40 bounded to −1: (0.5 + 0.5 − 1) / 3 = 0.
        Assert.Equal(0f, Step(1.0, 0.5f, 0.5f, -40f), 6);
    }

    [Fact]
    public void MedianBound_ContainsTwoBoostedSignFlippersOfTen()
    {
        float[] honest = [1f, 1f, 0.9f, 1f, 1f, 0.8f, 1f, 1f];
        float[] attacked = [.. honest, -10f, -10f];

        float unbounded = Step(1e9, attacked);
        float bounded = Step(null, attacked);

        Assert.True(unbounded < 0, $"FedAvg steps the wrong way ({unbounded})");
        // The flippers count −1 each at most (the median norm is 1): (7.7 − 2) / 10 = 0.57.
        Assert.Equal(0.57f, bounded, 5);
    }

    [Fact]
    public void Constructor_RejectsANonPositiveBound() =>
        Assert.Contains("strategy.norm_bound", Assert.Throws<ArgumentException>(() => new NormBoundingStrategy(new FedAvgStrategy(new FedAvgOptions()), 0)).Message, StringComparison.Ordinal);
}
