using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedOpt;
using Consortia.Learning;
using Consortia.Learning.Models;

namespace Consortia.Federation.Tests.Strategies.FedOpt;

public sealed class FedOptStrategyTests
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 1, []);

    private static (StrategyStep Step, RoundInput Input) FirstStep(FedOptVariant variant, float delta)
    {
        FedOptStrategy strategy = new(new FedOptOptions { Variant = variant, ServerLearningRate = 0.5, Tau = 1e-8 });
        GlobalModel model = new(s_spec, new ParameterVector(s_spec.CreateLayout()), new RoundNumber(0));
        RoundInput input = new(new RoundNumber(1), model, strategy.InitialState(model), [new SiteId("a")], new RandomSource(1));
        ParameterVector weighted = new(s_spec.CreateLayout(), [delta * 2, delta * 2]);
        return (strategy.Aggregate(input, new SummedUpdates(weighted, 2, 1)), input);
    }

    [Theory]
    [InlineData(FedOptVariant.Adam, 0.1 / 0.0316227766)]   // m = 0.1Δ, v = 0.001Δ² → 0.1/√0.001
    [InlineData(FedOptVariant.Yogi, 0.1 / 0.0316227766)]   // v = 0 − 0.001Δ²·sign(−Δ²) = 0.001Δ²
    [InlineData(FedOptVariant.Adagrad, 0.1)]                // v = Δ²
    public void Aggregate_FirstRound_MatchesReddiUpdate(FedOptVariant variant, double stepOverLr)
    {
        (StrategyStep step, _) = FirstStep(variant, 0.3f);

        Assert.Equal(0.5 * stepOverLr, step.Parameters.Values[0], 3);
        FedOptState state = Assert.IsType<FedOptState>(step.State);
        Assert.Equal(0.03f, state.FirstMoment[0], 5);
    }

    [Fact]
    public void Aggregate_ReturnsNewStateWithoutMutatingTheOld()
    {
        (StrategyStep step, RoundInput input) = FirstStep(FedOptVariant.Adam, 0.3f);

        FedOptState before = Assert.IsType<FedOptState>(input.State);
        Assert.Equal(0f, before.FirstMoment[0]);
        Assert.NotSame(before, step.State);
    }

    [Fact]
    public void Validate_BadServerLearningRate_NamesField()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new FedOptStrategy(new FedOptOptions { ServerLearningRate = 0 }));

        Assert.Contains("strategy.server_learning_rate", error.Message, StringComparison.Ordinal);
    }
}
