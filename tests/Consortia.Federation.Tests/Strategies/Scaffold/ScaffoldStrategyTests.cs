using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.Scaffold;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Optimization;

namespace Consortia.Federation.Tests.Strategies.Scaffold;

public sealed class ScaffoldStrategyTests
{
    [Fact]
    public void Aggregate_MovesServerControlVariateBySumOverAllSites()
    {
        ModelSpec spec = new(ModelKind.Logistic, 1, []);
        ScaffoldStrategy strategy = new(new ScaffoldOptions());
        GlobalModel model = new(spec, new ParameterVector(spec.CreateLayout()), new RoundNumber(0));
        RoundInput input = new(new RoundNumber(1), model, strategy.InitialState(model), [new SiteId("a"), new SiteId("b"), new SiteId("c"), new SiteId("d")], new RandomSource(1));
        SiteUpdate[] updates =
        [
            new(new SiteId("a"), new ParameterVector(spec.CreateLayout(), [2, 2]), 2, 0, 1, new ParameterVector(spec.CreateLayout(), [1, 2])),
            new(new SiteId("b"), new ParameterVector(spec.CreateLayout(), [4, 4]), 2, 0, 1, new ParameterVector(spec.CreateLayout(), [3, 2])),
        ];

        StrategyStep step = strategy.Aggregate(input, SiteSampling.Sum(spec.CreateLayout(), updates));

        Assert.Equal(1.5f, step.Parameters.Values[0], 5);      // (2 + 4) / (2 + 2)
        ScaffoldState state = Assert.IsType<ScaffoldState>(step.State);
        Assert.Equal(1f, state.ControlVariate.Values[0], 5);   // (1 + 3) / 4 sites
        Assert.Equal(1f, state.ControlVariate.Values[1], 5);
    }

    [Fact]
    public void PlanTraining_SendsTheServerControlVariate()
    {
        ModelSpec spec = new(ModelKind.Logistic, 1, []);
        ScaffoldStrategy strategy = new(new ScaffoldOptions());
        GlobalModel model = new(spec, new ParameterVector(spec.CreateLayout()), new RoundNumber(0));
        RoundInput input = new(new RoundNumber(1), model, strategy.InitialState(model), [new SiteId("a")], new RandomSource(1));

        TrainingPlan plan = strategy.PlanTraining(input);

        Assert.NotNull(plan.ControlVariate);
    }

    [Fact]
    public void Validate_AdamAtTheSites_IsRefused()
    {
        ScaffoldOptions options = new() { Training = new() { Optimizer = new() { Kind = OptimizerKind.Adam } } };

        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Contains("SCAFFOLD", error.Message, StringComparison.Ordinal);
    }
}
