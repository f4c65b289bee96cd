using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.Cyclic;
using Consortia.Learning;
using Consortia.Learning.Models;

namespace Consortia.Federation.Tests.Strategies.Cyclic;

public sealed class CyclicStrategyTests
{
    [Fact]
    public void PlanTraining_EachCycleVisitsEverySiteOnce()
    {
        ModelSpec spec = new(ModelKind.Logistic, 1, []);
        CyclicStrategy strategy = new(new CyclicOptions());
        GlobalModel model = new(spec, new ParameterVector(spec.CreateLayout()), new RoundNumber(0));
        SiteId[] roster = [.. Enumerable.Range(0, 5).Select(i => new SiteId($"s{i}"))];
        RandomSource job = new(7);
        StrategyState state = strategy.InitialState(model);
        List<SiteId> visits = [];

        for (int r = 1; r <= 10; r++)
        {
            RoundInput input = new(new RoundNumber(r), model, state, roster, job.Derive((ulong)r));
            TrainingPlan plan = strategy.PlanTraining(input);
            visits.Add(Assert.Single(plan.Sites));
            SiteUpdate update = new(plan.Sites[0], new ParameterVector(spec.CreateLayout()), 1, 0, 1);
            state = strategy.Aggregate(input, new IndividualUpdates([update])).State;
        }

        Assert.Equal(roster.OrderBy(s => s.Value), visits.Take(5).OrderBy(s => s.Value));
        Assert.Equal(roster.OrderBy(s => s.Value), visits.Skip(5).OrderBy(s => s.Value));
    }
}
