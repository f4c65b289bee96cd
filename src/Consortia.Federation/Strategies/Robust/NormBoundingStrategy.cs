using System.Numerics.Tensors;
using Consortia.Federation.Sites;
using Consortia.Learning;

namespace Consortia.Federation.Strategies.Robust;

/// <summary>
/// Update norm bounding at the coordinator: before any strategy sees them, each site's (unweighted) update Δᵢ is scaled
/// down to L2 norm at most M, Δᵢ·min(1, M/‖Δᵢ‖); the bounded updates then go to the wrapped strategy (summed, or one by
/// one when it needs them).
/// </summary>
/// <remarks>
/// Sun, Z., Kairouz, P., Suresh, A. T., McMahan, H. B. (2019), "Can You Really Backdoor Federated Learning?",
/// arXiv:1911.07963: norm bounding contains boosted (scaled or sign-flipped) updates, the model-replacement attacks
/// of a few malicious sites, at little cost to honest ones when M is above their norms. It reads each update, so a
/// job that combines it with secure aggregation is refused when it is loaded (there, sites clip their own updates,
/// which only binds honest sites).
/// </remarks>
public sealed class NormBoundingStrategy : IStrategy
{
    private readonly IStrategy _inner;
    private readonly double _bound;

    /// <summary>Wraps a strategy.</summary>
    /// <param name="inner">The strategy that aggregates the bounded updates.</param>
    /// <param name="bound">M, the largest L2 norm an unweighted update keeps.</param>
    /// <exception cref="ArgumentException"><paramref name="bound"/> is not a positive finite number.</exception>
    public NormBoundingStrategy(IStrategy inner, double bound)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!double.IsFinite(bound) || bound <= 0)
        {
            throw new ArgumentException($"strategy.norm_bound: expected a positive L2 norm, got {bound}.", nameof(bound));
        }

        _inner = inner;
        _bound = bound;
    }

    /// <inheritdoc />
    public StrategyTraits Traits { get; } = new(NeedsIndividualUpdates: true);

    /// <inheritdoc />
    public StrategyState InitialState(GlobalModel model) => _inner.InitialState(model);

    /// <inheritdoc />
    public TrainingPlan PlanTraining(RoundInput input) => _inner.PlanTraining(input);

    /// <inheritdoc />
    public StrategyStep Aggregate(RoundInput input, UpdateAggregate updates)
    {
        ArgumentNullException.ThrowIfNull(input);
        IReadOnlyList<SiteUpdate> individual = updates switch
        {
            IndividualUpdates i => i.Updates,
            SummedUpdates => throw new InvalidOperationException("Norm bounding needs individual updates; the engine handed it only a sum."),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
        SiteUpdate[] bounded = [.. individual.Select(Bound)];
        UpdateAggregate forInner = _inner.Traits.NeedsIndividualUpdates
            ? new IndividualUpdates(bounded)
            : SiteSampling.Sum(input.Model.Parameters.Layout, bounded);
        return _inner.Aggregate(input, forInner);
    }

    /// <summary>‖Δᵢ‖ = ‖wᵢΔᵢ‖ / wᵢ; the weighted update is scaled by min(1, M/‖Δᵢ‖), its weight kept.</summary>
    private SiteUpdate Bound(SiteUpdate update)
    {
        double norm = TensorPrimitives.Norm<float>(update.WeightedDelta.Values) / update.Weight;
        if (norm <= _bound)
        {
            return update;
        }

        ParameterVector scaled = update.WeightedDelta.Clone();
        TensorPrimitives.Multiply(scaled.Values, (float)(_bound / norm), scaled.Values);
        return update with { WeightedDelta = scaled };
    }

    /// <inheritdoc />
    public EvaluationPlan? PlanEvaluation(RoundInput input) => _inner.PlanEvaluation(input);

    /// <inheritdoc />
    public MetricSummary Summarise(RoundInput input, IReadOnlyList<EvaluationReport> reports) => _inner.Summarise(input, reports);
}
