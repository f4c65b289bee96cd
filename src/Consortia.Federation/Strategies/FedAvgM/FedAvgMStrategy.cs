using System.Numerics.Tensors;
using Consortia.Federation.Sites;
using Consortia.Learning;

namespace Consortia.Federation.Strategies.FedAvgM;

/// <summary>FedAvg with server momentum: v ← β·v + Δ, x ← x + η·v, Δ the example-weighted mean update.</summary>
/// <remarks>
/// Hsu, T.-M. H., Qi, H., Brown, M. (2019), "Measuring the Effects of Non-Identical Data Distribution for
/// Federated Visual Classification", arXiv:1909.06335. Needs only the sum of updates.
/// </remarks>
public sealed class FedAvgMStrategy : IStrategy
{
    private readonly FedAvgMOptions _options;

    /// <summary>Creates the strategy.</summary>
    /// <param name="options">The options.</param>
    public FedAvgMStrategy(FedAvgMOptions options)
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
        return new FedAvgMState(new float[model.Parameters.Length]);
    }

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
        float[]? delta = ModelAveraging.MeanDelta(input.Model.Parameters.Layout, updates);
        if (delta is null)
        {
            return new StrategyStep(input.Model.Parameters, input.State);
        }

        float[] velocity = (float[])((FedAvgMState)input.State).Velocity.Clone();
        TensorPrimitives.MultiplyAdd(velocity, (float)_options.ServerMomentum, delta, velocity);
        ParameterVector next = input.Model.Parameters.Clone();
        TensorPrimitives.MultiplyAdd(velocity, (float)_options.ServerLearningRate, next.Values, next.Values);
        return new StrategyStep(next, new FedAvgMState(velocity));
    }

    /// <inheritdoc />
    public EvaluationPlan? PlanEvaluation(RoundInput input) => EvaluationPlan.EverySite(input);

    /// <inheritdoc />
    public MetricSummary Summarise(RoundInput input, IReadOnlyList<EvaluationReport> reports) => MetricSummary.FromReports(reports);
}
