using System.Numerics.Tensors;
using Consortia.Federation.Sites;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Training;

namespace Consortia.Federation.Strategies.Scheduling;

/// <summary>
/// Wraps a strategy with the job's scheduling: per-round selection (fraction, minimum, stratified by size), a deadline,
/// over-selection (ask more, keep the first that finish) and work sized to each site's reported speed, with the
/// aggregate corrected for unequal work as FedNova does.
/// </summary>
/// <remarks>
/// <para>
/// FedNova (Wang, Liu, Liang, Joshi and Poor, 2020, "Tackling the Objective Inconsistency Problem in Heterogeneous
/// Federated Optimization", NeurIPS): a site that took τᵢ local steps sends wᵢ·Δᵢ/τᵢ (its weight unchanged), and the
/// coordinator rescales the sum by τ_eff, here the mean of the steps it assigned. Plain averaging would let the sites that
/// did more steps pull the model towards their own optimum; normalised, each site's direction counts by its weight alone.
/// This works from sums, so it runs under secure aggregation.
/// </para>
/// <para>
/// Pure like every strategy: the plan is a function of the round input (seeded selection, reported capacities), and
/// <see cref="Aggregate"/> recomputes it to know the steps it assigned.
/// </para>
/// </remarks>
public sealed class ScheduledStrategy : IStrategy
{
    private readonly IStrategy _inner;
    private readonly SchedulingOptions _options;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The strategy that trains and aggregates.</param>
    /// <param name="options">Validated scheduling options.</param>
    public ScheduledStrategy(IStrategy inner, SchedulingOptions options)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _inner = inner;
        _options = options;
    }

    /// <inheritdoc />
    public StrategyTraits Traits => _inner.Traits;

    /// <inheritdoc />
    public StrategyState InitialState(GlobalModel model) => _inner.InitialState(model);

    /// <inheritdoc />
    public TrainingPlan PlanTraining(RoundInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        TrainingPlan inner = _inner.PlanTraining(input);
        if (_options.Buffer is { } buffer)
        {
            // FedBuff: every idle site is asked (the transport skips those still working); the first `buffer` updates make the step.
            return inner with { Sites = input.Roster, Keep = Math.Min(buffer, input.Roster.Count), Asynchronous = true, Deadline = null };
        }

        int n = input.Roster.Count;
        int keep = Math.Min(n, Math.Max(_options.MinimumSites, (int)Math.Ceiling(_options.Fraction * n)));
        int ask = Math.Min(n, (int)Math.Ceiling(keep * (1 + _options.OverSelection)));
        IReadOnlyList<SiteId> sites = Select(input, ask);
        Dictionary<SiteId, LocalTrainingOptions>? perSite = _options.CapacitySizedWork ? SizeWork(input, sites, inner.Training) : null;
        return inner with
        {
            Sites = sites,
            Deadline = _options.Deadline ?? inner.Deadline,
            Keep = ask > keep ? keep : null,
            SiteTraining = perSite,
            NormaliseWork = _options.CapacitySizedWork,
        };
    }

    /// <inheritdoc />
    public StrategyStep Aggregate(RoundInput input, UpdateAggregate updates)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(updates);
        if (!_options.CapacitySizedWork || updates.Count == 0)
        {
            return _inner.Aggregate(input, updates);
        }

        TrainingPlan plan = PlanTraining(input);
        int rows = 0; // steps were assigned explicitly, so the row count never enters
        float tauEffective = (float)plan.Sites.Average(s => plan.TrainingFor(s).StepsFor(rows));
        UpdateAggregate rescaled = updates switch
        {
            SummedUpdates sum => sum with { WeightedSum = Scaled(sum.WeightedSum, tauEffective) },
            IndividualUpdates individual => new IndividualUpdates([.. individual.Updates.Select(u => u with { WeightedDelta = Scaled(u.WeightedDelta, tauEffective) })]),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
        return _inner.Aggregate(input, rescaled);
    }

    /// <inheritdoc />
    public EvaluationPlan? PlanEvaluation(RoundInput input) => _inner.PlanEvaluation(input);

    /// <inheritdoc />
    public MetricSummary Summarise(RoundInput input, IReadOnlyList<EvaluationReport> reports) => _inner.Summarise(input, reports);

    /// <summary>Seeded selection of <paramref name="count"/> sites, stratified by size when asked, in roster order.</summary>
    private IReadOnlyList<SiteId> Select(RoundInput input, int count)
    {
        IReadOnlyList<SiteId> roster = input.Roster;
        if (count >= roster.Count)
        {
            return roster;
        }

        RandomSource random = input.Random.Derive("schedule");
        List<List<int>> strata = [];
        if (_options.StratifyBySize)
        {
            // Rank by reported size (unknown sizes rank as the smallest, ties by roster order), then cut into equal groups.
            int[] ranked = [.. Enumerable.Range(0, roster.Count).OrderBy(i => input.Capacities.TryGetValue(roster[i], out SiteCapacity? c) ? c.TrainingExamples ?? 0 : 0).ThenBy(i => i)];
            int groups = Math.Min(_options.Strata, roster.Count);
            for (int g = 0; g < groups; g++)
            {
                strata.Add([.. ranked[(g * ranked.Length / groups)..((g + 1) * ranked.Length / groups)]]);
            }
        }
        else
        {
            strata.Add([.. Enumerable.Range(0, roster.Count)]);
        }

        // Each stratum's share by largest remainder, so the shares add up to count exactly.
        double[] exact = [.. strata.Select(s => (double)count * s.Count / roster.Count)];
        int[] shares = [.. exact.Select(e => (int)Math.Floor(e))];
        foreach (int g in Enumerable.Range(0, strata.Count).OrderByDescending(g => exact[g] - shares[g]).ThenBy(g => g).Take(count - shares.Sum()))
        {
            shares[g]++;
        }

        List<int> chosen = [];
        for (int g = 0; g < strata.Count; g++)
        {
            int[] members = [.. strata[g]];
            random.Derive((ulong)g).Shuffle(members.AsSpan());
            chosen.AddRange(members.Take(shares[g]));
        }

        chosen.Sort();
        return [.. chosen.Select(i => roster[i])];
    }

    /// <summary>Each site's local steps: what its reported speed fits into the deadline's work share.</summary>
    private Dictionary<SiteId, LocalTrainingOptions> SizeWork(RoundInput input, IReadOnlyList<SiteId> sites, LocalTrainingOptions training)
    {
        Dictionary<SiteId, LocalTrainingOptions> perSite = [];
        int nominal = training.LocalSteps ?? throw new InvalidOperationException("scheduling.capacity_sized_work: the job must set training.local_steps (work is counted in steps).");
        double seconds = _options.Deadline!.Value.TotalSeconds * _options.WorkShare;
        foreach (SiteId site in sites)
        {
            int steps = nominal; // a site that has not reported gets the job's work
            if (input.Capacities.TryGetValue(site, out SiteCapacity? capacity) && capacity.ExamplesPerSecond > 0)
            {
                // Never more than the job's steps: a site refuses a task asking for more work than the job it accepted.
                steps = (int)Math.Clamp(Math.Floor(capacity.ExamplesPerSecond * seconds / training.BatchSize), 1, nominal);
            }

            perSite[site] = training with { LocalSteps = steps };
        }

        return perSite;
    }

    private static ParameterVector Scaled(ParameterVector vector, float factor)
    {
        ParameterVector scaled = vector.Clone();
        TensorPrimitives.Multiply(scaled.Values, factor, scaled.Values);
        return scaled;
    }
}
