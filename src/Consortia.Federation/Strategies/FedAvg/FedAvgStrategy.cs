using System.Numerics.Tensors;
using Consortia.Federation.Sites;

namespace Consortia.Federation.Strategies.FedAvg;

/// <summary>Federated averaging: the new model is the example-weighted mean of the sites' local models.</summary>
/// <remarks>
/// McMahan, B., Moore, E., Ramage, D., Hampson, S., Agüera y Arcas, B. (2017), "Communication-Efficient
/// Learning of Deep Networks from Decentralized Data", AISTATS. Works from the sum of pre-weighted
/// updates only: w ← w + Σ nᵢΔᵢ / Σ nᵢ, so it runs unchanged under secure aggregation.
/// </remarks>
public sealed class FedAvgStrategy : IStrategy
{
    private readonly FedAvgOptions _options;

    /// <summary>Creates the strategy.</summary>
    /// <param name="options">Validated options.</param>
    public FedAvgStrategy(FedAvgOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public StrategyTraits Traits { get; } = new(NeedsIndividualUpdates: false);

    /// <inheritdoc />
    public StrategyState InitialState(GlobalModel model) => NoStrategyState.Instance;

    /// <inheritdoc />
    public TrainingPlan PlanTraining(RoundInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new TrainingPlan(SiteSampling.Sample(input.Roster, _options.FractionFit, input.Random), _options.Training);
    }

    /// <inheritdoc />
    public StrategyStep Aggregate(RoundInput input, UpdateAggregate updates)
    {
        ArgumentNullException.ThrowIfNull(input);
        SummedUpdates sum = updates switch
        {
            SummedUpdates s => s,
            IndividualUpdates individual => SiteSampling.Sum(input.Model.Parameters.Layout, individual.Updates),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
        if (sum.Contributors == 0 || sum.TotalWeight <= 0)
        {
            return new StrategyStep(input.Model.Parameters, input.State);
        }

        Learning.ParameterVector next = input.Model.Parameters.Clone();
        TensorPrimitives.MultiplyAdd(sum.WeightedSum.Values, (float)(1.0 / sum.TotalWeight), next.Values, next.Values);
        return new StrategyStep(next, input.State);
    }

    /// <inheritdoc />
    public EvaluationPlan? PlanEvaluation(RoundInput input) => EvaluationPlan.EverySite(input);

    /// <inheritdoc />
    public MetricSummary Summarise(RoundInput input, IReadOnlyList<EvaluationReport> reports) => MetricSummary.FromReports(reports);
}
