using System.Numerics.Tensors;
using Consortia.Federation.Sites;
using Consortia.Learning;

namespace Consortia.Federation.Strategies.FedOpt;

/// <summary>Adaptive federated optimisation: a server optimizer (Adam, Yogi or Adagrad) on the mean site update.</summary>
/// <remarks>
/// Reddi, S., Charles, Z., Zaheer, M., Garrett, Z., Rush, K., Konečný, J., Kumar, S., McMahan, H. B. (2021),
/// "Adaptive Federated Optimization", ICLR (Algorithm 2). The mean update Δ = Σ nᵢΔᵢ / Σ nᵢ is all it
/// needs, so it works under secure aggregation. m ← β1·m + (1 − β1)·Δ; v per variant; x ← x + η·m / (√v + τ).
/// </remarks>
public sealed class FedOptStrategy : IStrategy
{
    private readonly FedOptOptions _options;

    /// <summary>Creates the strategy.</summary>
    /// <param name="options">The options.</param>
    public FedOptStrategy(FedOptOptions options)
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
        // Moments start at zero as in FLamby's and Flower's implementations; τ in the denominator keeps
        // the first steps bounded (Reddi et al. start v at τ², which differs only in the first rounds).
        int length = model.Parameters.Length;
        return new FedOptState(new float[length], new float[length]);
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

        FedOptState state = (FedOptState)input.State;
        float[] m = (float[])state.FirstMoment.Clone();
        float[] v = (float[])state.SecondMoment.Clone();
        float b1 = (float)_options.Beta1, b2 = (float)_options.Beta2;
        float[] squared = new float[delta.Length];
        TensorPrimitives.Multiply(delta, delta, squared);

        // m ← β1 m + (1 − β1) Δ
        TensorPrimitives.Multiply(m, b1, m);
        TensorPrimitives.MultiplyAdd(delta, 1f - b1, m, m);
        switch (_options.Variant)
        {
            case FedOptVariant.Adam:
                TensorPrimitives.Multiply(v, b2, v);
                TensorPrimitives.MultiplyAdd(squared, 1f - b2, v, v);
                break;
            case FedOptVariant.Yogi:
                for (int i = 0; i < v.Length; i++)
                {
                    v[i] -= (1f - b2) * squared[i] * MathF.Sign(v[i] - squared[i]);
                }

                break;
            case FedOptVariant.Adagrad:
                TensorPrimitives.Add(v, squared, v);
                break;
            default:
                throw new System.Diagnostics.UnreachableException();
        }

        // x ← x + η m / (√v + τ)
        float[] step = squared; // reuse
        TensorPrimitives.Sqrt(v, step);
        TensorPrimitives.Add(step, (float)_options.Tau, step);
        TensorPrimitives.Divide(m, step, step);
        ParameterVector next = input.Model.Parameters.Clone();
        TensorPrimitives.MultiplyAdd(step, (float)_options.ServerLearningRate, next.Values, next.Values);
        return new StrategyStep(next, new FedOptState(m, v));
    }

    /// <inheritdoc />
    public EvaluationPlan? PlanEvaluation(RoundInput input) => EvaluationPlan.EverySite(input);

    /// <inheritdoc />
    public MetricSummary Summarise(RoundInput input, IReadOnlyList<EvaluationReport> reports) => MetricSummary.FromReports(reports);
}
