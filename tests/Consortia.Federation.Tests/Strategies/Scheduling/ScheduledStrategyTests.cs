using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Strategies.FedAvg;
using Consortia.Federation.Strategies.Scheduling;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;

namespace Consortia.Federation.Tests.Strategies.Scheduling;

public sealed class ScheduledStrategyTests
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 1, []);
    private static readonly LocalTrainingOptions s_training = new() { BatchSize = 10, LocalSteps = 100 };

    private static RoundInput Input(int sites, Func<int, SiteCapacity>? capacity = null, ulong seed = 1) => new(
        new RoundNumber(1),
        new GlobalModel(s_spec, new ParameterVector(s_spec.CreateLayout()), new RoundNumber(0)),
        NoStrategyState.Instance,
        [.. Enumerable.Range(0, sites).Select(i => new SiteId($"s{i}"))],
        new RandomSource(seed))
    {
        Capacities = capacity is null ? new Dictionary<SiteId, SiteCapacity>() : Enumerable.Range(0, sites).ToDictionary(i => new SiteId($"s{i}"), capacity),
    };

    private static ScheduledStrategy Strategy(SchedulingOptions options) => new(new FedAvgStrategy(new FedAvgOptions { Training = s_training }), options);

    [Fact]
    public void WorkIsSizedToEachSitesSpeedWithinTheDeadline()
    {
        ScheduledStrategy strategy = Strategy(new SchedulingOptions { Deadline = TimeSpan.FromSeconds(10), CapacitySizedWork = true, WorkShare = 0.5 });

        TrainingPlan plan = strategy.PlanTraining(Input(3, i => new SiteCapacity(i switch { 0 => 20, 1 => 100, _ => 10_000 })));

        // 5 s of work: 20 ex/s → 100 examples → 10 steps; 100 ex/s → 50 steps; a fast site is held to the job's 100.
        Assert.Equal([10, 50, 100], plan.Sites.Select(s => plan.TrainingFor(s).LocalSteps!.Value));
        Assert.True(plan.NormaliseWork);
        Assert.Equal(TimeSpan.FromSeconds(10), plan.Deadline);
    }

    [Fact]
    public void SitesThatHaveNotReportedGetTheJobsWork()
    {
        ScheduledStrategy strategy = Strategy(new SchedulingOptions { Deadline = TimeSpan.FromSeconds(1), CapacitySizedWork = true });

        TrainingPlan plan = strategy.PlanTraining(Input(2));

        Assert.All(plan.Sites, s => Assert.Equal(100, plan.TrainingFor(s).LocalSteps));
    }

    [Fact]
    public void OverSelectionAsksMoreAndKeepsTheRoundsShare()
    {
        ScheduledStrategy strategy = Strategy(new SchedulingOptions { Fraction = 0.5, OverSelection = 0.5 });

        TrainingPlan plan = strategy.PlanTraining(Input(10));

        Assert.Equal(8, plan.Sites.Count); // ⌈5 × 1.5⌉
        Assert.Equal(5, plan.Keep);
        Assert.Equal(plan.Sites.Distinct().Count(), plan.Sites.Count);
    }

    [Fact]
    public void MinimumSitesOverridesASmallFraction()
    {
        TrainingPlan plan = Strategy(new SchedulingOptions { Fraction = 0.1, MinimumSites = 4 }).PlanTraining(Input(10));

        Assert.Equal(4, plan.Sites.Count);
        Assert.Null(plan.Keep);
    }

    [Fact]
    public void StratifiedSelectionDrawsFromEverySizeGroup()
    {
        // Nine sites: s0–s2 small, s3–s5 medium, s6–s8 large; three chosen, one from each group, whatever the seed.
        SchedulingOptions options = new() { Fraction = 1.0 / 3, StratifyBySize = true, Strata = 3 };
        for (ulong seed = 1; seed <= 20; seed++)
        {
            TrainingPlan plan = Strategy(options).PlanTraining(Input(9, i => new SiteCapacity(100, 100 * (i + 1)), seed));

            int[] groups = [.. plan.Sites.Select(s => int.Parse(s.Value[1..], System.Globalization.CultureInfo.InvariantCulture) / 3)];
            Assert.Equal([0, 1, 2], groups);
        }
    }

    [Fact]
    public void SelectionIsSeeded()
    {
        SchedulingOptions options = new() { Fraction = 0.3 };

        Assert.Equal(Strategy(options).PlanTraining(Input(20, seed: 5)).Sites, Strategy(options).PlanTraining(Input(20, seed: 5)).Sites);
        Assert.NotEqual(Strategy(options).PlanTraining(Input(20, seed: 5)).Sites, Strategy(options).PlanTraining(Input(20, seed: 6)).Sites);
    }

    [Fact]
    public void FedNovaRescalesTheNormalisedSumByTheMeanAssignedSteps()
    {
        // Steps assigned: 10 and 50 (mean 30). Each site sends wᵢ·Δᵢ/τᵢ; with Δ = τ (one unit per step) and w = 1 that is 1 each.
        ScheduledStrategy strategy = Strategy(new SchedulingOptions { Deadline = TimeSpan.FromSeconds(10), CapacitySizedWork = true, WorkShare = 0.5 });
        RoundInput input = Input(2, i => new SiteCapacity(i == 0 ? 20 : 100));
        ParameterVector sum = new(s_spec.CreateLayout(), [2f, 2f]);

        StrategyStep step = strategy.Aggregate(input, new SummedUpdates(sum, TotalWeight: 2, Contributors: 2));

        // FedNova: τ_eff × mean normalised update = 30 × 1; plain FedAvg of the raw updates would give (10 + 50) / 2 as well
        // here, but weights the direction by steps when the sites disagree, which the next test shows.
        Assert.Equal([30f, 30f], step.Parameters.Values.ToArray());
    }

    [Fact]
    public void FedNovaWeighsEachSiteByItsDataNotItsSteps()
    {
        // Site 0 (10 steps) moves +1 per step, site 1 (50 steps) −1 per step, equal data: the normalised directions cancel.
        ScheduledStrategy strategy = Strategy(new SchedulingOptions { Deadline = TimeSpan.FromSeconds(10), CapacitySizedWork = true, WorkShare = 0.5 });
        RoundInput input = Input(2, i => new SiteCapacity(i == 0 ? 20 : 100));
        ParameterVector sum = new(s_spec.CreateLayout(), [1f - 1f, 0f]); // w·Δ/τ: +1 and −1

        StrategyStep step = strategy.Aggregate(input, new SummedUpdates(sum, TotalWeight: 2, Contributors: 2));

        Assert.Equal([0f, 0f], step.Parameters.Values.ToArray()); // plain averaging of Δ would give (10 − 50) / 2 = −20
    }

    [Fact]
    public void CapacitySizedWorkWithoutADeadlineIsRefused()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new SchedulingOptions { CapacitySizedWork = true }.Validate());
        Assert.Contains("deadline_seconds", error.Message, StringComparison.Ordinal);
    }
}
