using System.Numerics.Tensors;
using Consortia.Federation.Sites;
using Consortia.Learning;

namespace Consortia.Federation.Strategies.Robust;

/// <summary>
/// Update norm bounding at the coordinator: before any strategy sees them, each site's (unweighted) update Δᵢ is scaled
/// down to L2 norm at most M, Δᵢ·min(1, M/‖Δᵢ‖); the bounded updates then go to the wrapped strategy (summed, or one by
/// one when it needs them). M is fixed, or each round's median update norm (<c>norm_bound: median</c>), which needs no
/// calibration and holds while fewer than half the sites are malicious.
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
    private readonly double? _bound;

    /// <summary>Wraps a strategy.</summary>
    /// <param name="inner">The strategy that aggregates the bounded updates.</param>
    /// <param name="bound">M, the largest L2 norm an unweighted update keeps; <see langword="null"/> for each round's median update norm.</param>
    /// <exception cref="ArgumentException"><paramref name="bound"/> is not a positive finite number.</exception>
    public NormBoundingStrategy(IStrategy inner, double? bound)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (bound is { } m && (!double.IsFinite(m) || m <= 0))
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
        double[] norms = [.. individual.Select(u => TensorPrimitives.Norm<float>(u.WeightedDelta.Values) / u.Weight)];
        double bound = _bound ?? Median(norms);
        SiteUpdate[] bounded = [.. individual.Select((u, i) => Bound(u, norms[i], bound))];
        UpdateAggregate forInner = _inner.Traits.NeedsIndividualUpdates
            ? new IndividualUpdates(bounded)
            : SiteSampling.Sum(input.Model.Parameters.Layout, bounded);
        return _inner.Aggregate(input, forInner);
    }

    /// <summary>‖Δᵢ‖ = ‖wᵢΔᵢ‖ / wᵢ; the weighted update is scaled by min(1, M/‖Δᵢ‖), its weight kept.</summary>
    private static SiteUpdate Bound(SiteUpdate update, double norm, double bound)
    {
        if (norm <= bound)
        {
            return update;
        }

        ParameterVector scaled = update.WeightedDelta.Clone();
        TensorPrimitives.Multiply(scaled.Values, (float)(bound / norm), scaled.Values);
        return update with { WeightedDelta = scaled };
    }

    private static double Median(double[] values)
    {
        if (values.Length == 0)
        {
            return double.PositiveInfinity;
        }

        double[] sorted = [.. values.Order()];
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[(n / 2) - 1] + sorted[n / 2]);
    }

    /// <inheritdoc />
    public EvaluationPlan? PlanEvaluation(RoundInput input) => _inner.PlanEvaluation(input);

    /// <inheritdoc />
    public MetricSummary Summarise(RoundInput input, IReadOnlyList<EvaluationReport> reports) => _inner.Summarise(input, reports);
}
