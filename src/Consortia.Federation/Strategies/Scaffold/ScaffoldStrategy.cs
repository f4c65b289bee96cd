using System.Numerics.Tensors;
using Consortia.Federation.Sites;
using Consortia.Learning;

namespace Consortia.Federation.Strategies.Scaffold;

/// <summary>SCAFFOLD: stochastic controlled averaging, correcting client drift with control variates.</summary>
/// <remarks>
/// Karimireddy, S. P., Kale, S., Mohri, M., Reddi, S., Stich, S., Suresh, A. T. (2020), "SCAFFOLD: Stochastic
/// Controlled Averaging for Federated Learning", ICML. Sites keep cᵢ, correct every local gradient by c − cᵢ
/// and update cᵢ with option II; the server needs only Σ nᵢΔyᵢ, Σ nᵢ and Σ Δcᵢ:
/// x ← x + η_g·Σ nᵢΔyᵢ / Σ nᵢ (example-weighted, as FLamby), c ← c + Σ Δcᵢ / N.
/// </remarks>
public sealed class ScaffoldStrategy : IStrategy
{
    private readonly ScaffoldOptions _options;

    /// <summary>Creates the strategy.</summary>
    /// <param name="options">The options.</param>
    public ScaffoldStrategy(ScaffoldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
    }

    /// <inheritdoc />
    public StrategyTraits Traits { get; } = new(NeedsIndividualUpdates: false);

    /// <inheritdoc />
    public StrategyState InitialState(GlobalModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new ScaffoldState(new ParameterVector(model.Parameters.Layout));
    }

    /// <inheritdoc />
    public TrainingPlan PlanTraining(RoundInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        return new TrainingPlan(
            SiteSampling.Sample(input.Roster, _options.FractionFit, input.Random),
            _options.Training,
            ControlVariate: ((ScaffoldState)input.State).ControlVariate);
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
        if (sum.Contributors == 0 || !(sum.TotalWeight > 0))
        {
            return new StrategyStep(input.Model.Parameters, input.State);
        }

        ParameterVector next = input.Model.Parameters.Clone();
        TensorPrimitives.MultiplyAdd(sum.WeightedSum.Values, (float)(_options.ServerLearningRate / sum.TotalWeight), next.Values, next.Values);
        ParameterVector control = ((ScaffoldState)input.State).ControlVariate.Clone();
        if (sum.ControlVariateSum is { } dc)
        {
            TensorPrimitives.MultiplyAdd(dc.Values, 1f / input.Roster.Count, control.Values, control.Values);
        }

        return new StrategyStep(next, new ScaffoldState(control));
    }

    /// <inheritdoc />
    public EvaluationPlan? PlanEvaluation(RoundInput input) => EvaluationPlan.EverySite(input);

    /// <inheritdoc />
    public MetricSummary Summarise(RoundInput input, IReadOnlyList<EvaluationReport> reports) => MetricSummary.FromReports(reports);
}
