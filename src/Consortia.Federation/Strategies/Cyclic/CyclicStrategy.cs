using System.Numerics.Tensors;
using Consortia.Federation.Sites;
using Consortia.Learning;

namespace Consortia.Federation.Strategies.Cyclic;

/// <summary>Cyclic (sequential) training: one site per round, each continuing from the previous site's model.</summary>
/// <remarks>
/// Chang, K. et al. (2018), "Distributed deep learning networks among institutions for medical imaging",
/// JAMIA 25(8) (cyclical weight transfer). With a single contributor the "sum" of updates is that
/// site's weighted update, so the strategy needs no more than secure aggregation reveals — though with
/// one contributor secure aggregation hides nothing, which a site policy's minimum-sites rule catches.
/// </remarks>
public sealed class CyclicStrategy : IStrategy
{
    private readonly CyclicOptions _options;

    /// <summary>Creates the strategy.</summary>
    /// <param name="options">The options.</param>
    public CyclicStrategy(CyclicOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public StrategyTraits Traits { get; } = new(NeedsIndividualUpdates: false);

    /// <inheritdoc />
    public StrategyState InitialState(GlobalModel model) => new CyclicState([]);

    /// <inheritdoc />
    public TrainingPlan PlanTraining(RoundInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        int[] order = OrderOf(input);
        return new TrainingPlan([input.Roster[order[(input.Round.Value - 1) % order.Length]]], _options.Training);
    }

    /// <summary>
    /// The current cycle's order: drawn afresh from the round's random source when a cycle starts (the
    /// same input gives the same draw in planning and aggregation), otherwise the order kept in the state.
    /// </summary>
    private int[] OrderOf(RoundInput input)
    {
        int n = input.Roster.Count;
        int[] kept = ((CyclicState)input.State).Order;
        if ((input.Round.Value - 1) % n != 0 && kept.Length == n)
        {
            return kept;
        }

        int[] order = [.. Enumerable.Range(0, n)];
        if (_options.ShuffleEachCycle)
        {
            input.Random.Derive("cycle").Shuffle(order.AsSpan());
        }

        return order;
    }

    /// <inheritdoc />
    public StrategyStep Aggregate(RoundInput input, UpdateAggregate updates)
    {
        ArgumentNullException.ThrowIfNull(input);
        float[]? delta = ModelAveraging.MeanDelta(input.Model.Parameters.Layout, updates);
        if (delta is null)
        {
            return new StrategyStep(input.Model.Parameters, new CyclicState(OrderOf(input)));
        }

        ParameterVector next = input.Model.Parameters.Clone();
        TensorPrimitives.Add(next.Values, delta, next.Values);
        return new StrategyStep(next, new CyclicState(OrderOf(input)));
    }

    /// <inheritdoc />
    public EvaluationPlan? PlanEvaluation(RoundInput input) => EvaluationPlan.EverySite(input);

    /// <inheritdoc />
    public MetricSummary Summarise(RoundInput input, IReadOnlyList<EvaluationReport> reports) => MetricSummary.FromReports(reports);
}
