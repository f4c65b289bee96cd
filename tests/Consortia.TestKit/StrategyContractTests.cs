using Consortia.Federation;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Learning;
using Consortia.Learning.Models;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace Consortia.TestKit;

/// <summary>
/// Invariants every <see cref="IStrategy"/> keeps. Subclass once per strategy and implement <see cref="CreateStrategy"/>.
/// </summary>
public abstract class StrategyContractTests
{
    /// <summary>The model the contract runs on (a logistic regression with 3 features: 4 parameters).</summary>
    protected static readonly ModelSpec Spec = new(ModelKind.Logistic, 3, []);

    /// <summary>Builds the strategy under test.</summary>
    /// <returns>A fresh strategy.</returns>
    protected abstract IStrategy CreateStrategy();

    /// <summary>A round input over <paramref name="sites"/> sites at the strategy's initial state.</summary>
    protected static RoundInput Input(IStrategy strategy, float[] global, int sites, int round = 1)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        GlobalModel model = new(Spec, new ParameterVector(Spec.CreateLayout(), global), new RoundNumber(round - 1));
        return new RoundInput(new RoundNumber(round), model, strategy.InitialState(model), [.. Enumerable.Range(0, sites).Select(i => new SiteId($"s{i}"))], new RandomSource(3));
    }

    /// <summary>A site update whose unweighted delta is <paramref name="delta"/>.</summary>
    protected static SiteUpdate Update(int site, float[] delta, double weight, bool withControlVariate = false)
    {
        ArgumentNullException.ThrowIfNull(delta);
        ParameterVector weighted = new(Spec.CreateLayout(), [.. delta.Select(d => (float)(d * weight))]);
        ParameterVector? control = withControlVariate ? new(Spec.CreateLayout(), [.. delta.Select(d => -d)]) : null;
        return new SiteUpdate(new SiteId($"s{site}"), weighted, weight, 0.5, 10, control);
    }

    private static Gen<float[]> Vector => Gen.Choose(-500, 500).Select(i => i / 100f).ArrayOf(4);

    private static Gen<(float[] Delta, int Weight)[]> Updates => Gen.Zip(Vector, Gen.Choose(1, 50)).ArrayOf().Where(a => a.Length is >= 3 and <= 7);

    [Property(MaxTest = 60)]
    public Property Aggregate_IsFiniteAndKeepsLayout() =>
        Prop.ForAll(Vector.ToArbitrary(), Updates.ToArbitrary(), (global, updates) =>
        {
            IStrategy strategy = CreateStrategy();
            RoundInput input = Input(strategy, global, updates.Length);
            SiteUpdate[] individual = [.. updates.Select((u, i) => Update(i, u.Delta, u.Weight))];

            StrategyStep step = strategy.Aggregate(input, Shape(strategy, input, individual));

            Assert.True(step.Parameters.IsFinite());
            Assert.True(step.Parameters.Layout.Equals(input.Model.Parameters.Layout));
            Assert.True(input.Model.Parameters.ContentEquals(new ParameterVector(Spec.CreateLayout(), global)), "inputs must not be mutated");
        });

    [Property(MaxTest = 60)]
    public Property Aggregate_SumOrIndividualUpdates_GiveTheSameModel() =>
        Prop.ForAll(Vector.ToArbitrary(), Updates.ToArbitrary(), (global, updates) =>
        {
            IStrategy strategy = CreateStrategy();
            if (strategy.Traits.NeedsIndividualUpdates)
            {
                return; // robust strategies cannot work from sums; the engine never hands them one
            }

            RoundInput input = Input(strategy, global, updates.Length);
            SiteUpdate[] individual = [.. updates.Select((u, i) => Update(i, u.Delta, u.Weight, withControlVariate: true))];

            StrategyStep fromIndividual = strategy.Aggregate(input, new IndividualUpdates(individual));
            StrategyStep fromSum = strategy.Aggregate(input, SiteSampling.Sum(Spec.CreateLayout(), individual));

            Assert.True(fromIndividual.Parameters.ContentEquals(fromSum.Parameters));
        });

    [Property(MaxTest = 60)]
    public Property Aggregate_IsInvariantToTheOrderSitesAnswered() =>
        Prop.ForAll(Vector.ToArbitrary(), Updates.ToArbitrary(), (global, updates) =>
        {
            IStrategy strategy = CreateStrategy();
            RoundInput input = Input(strategy, global, updates.Length);
            SiteUpdate[] individual = [.. updates.Select((u, i) => Update(i, u.Delta, u.Weight))];
            SiteUpdate[] reversed = [.. individual.Reverse()];

            StrategyStep a = strategy.Aggregate(input, Shape(strategy, input, individual));
            StrategyStep b = strategy.Aggregate(input, Shape(strategy, input, reversed));

            for (int i = 0; i < a.Parameters.Length; i++)
            {
                // Float sums in another order may differ in the last bits, never more.
                float x = a.Parameters.Values[i], y = b.Parameters.Values[i];
                Assert.True(Math.Abs(x - y) <= 1e-4f * (1f + Math.Abs(x)), $"parameter {i}: {x} vs {y}");
            }
        });

    [Fact]
    public void Aggregate_NoContributors_KeepsTheModel()
    {
        IStrategy strategy = CreateStrategy();
        RoundInput input = Input(strategy, [1, 2, 3, 4], 3);

        StrategyStep step = strategy.Aggregate(input, strategy.Traits.NeedsIndividualUpdates
            ? new IndividualUpdates([])
            : new SummedUpdates(new ParameterVector(Spec.CreateLayout()), 0, 0));

        Assert.True(step.Parameters.ContentEquals(input.Model.Parameters));
    }

    [Fact]
    public void PlanTraining_IsDeterministicAndWithinTheRoster()
    {
        IStrategy strategy = CreateStrategy();
        RoundInput input = Input(strategy, [0, 0, 0, 0], 6, round: 4);

        TrainingPlan a = strategy.PlanTraining(input);
        TrainingPlan b = strategy.PlanTraining(input);

        Assert.Equal(a.Sites, b.Sites);
        Assert.NotEmpty(a.Sites);
        Assert.All(a.Sites, s => Assert.Contains(s, input.Roster));
    }

    private static UpdateAggregate Shape(IStrategy strategy, RoundInput input, SiteUpdate[] updates) =>
        strategy.Traits.NeedsIndividualUpdates ? new IndividualUpdates(updates) : SiteSampling.Sum(input.Model.Parameters.Layout, updates);
}
