using Consortia.Learning.Optimization;
using Consortia.Learning.Training;

namespace Consortia.Federation.Strategies.Scaffold;

/// <summary>Options of <see cref="ScaffoldStrategy"/>.</summary>
public sealed record ScaffoldOptions
{
    /// <summary>Local training at the sites (plain SGD: option II of the control-variate update assumes it).</summary>
    /// <value>Default: one local epoch of SGD.</value>
    public LocalTrainingOptions Training { get; init; } = new();

    /// <summary>The server learning rate η_g.</summary>
    /// <value>Default: 1.</value>
    public double ServerLearningRate { get; init; } = 1.0;

    /// <summary>Fraction of sites sampled per round.</summary>
    /// <value>Default: 1.</value>
    public double FractionFit { get; init; } = 1.0;

    /// <summary>Checks the options and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        Training.Validate();
        if (Training.Optimizer.Kind != OptimizerKind.Sgd || Training.Optimizer.Momentum != 0f)
        {
            throw new ArgumentException("training.optimizer: SCAFFOLD's control variates assume plain SGD (kind: sgd, momentum: 0).");
        }

        if (!(ServerLearningRate > 0) || !double.IsFinite(ServerLearningRate))
        {
            throw new ArgumentException($"strategy.server_learning_rate: expected a finite value > 0, got {ServerLearningRate}.");
        }

        if (!(FractionFit > 0 && FractionFit <= 1))
        {
            throw new ArgumentException($"strategy.fraction_fit: expected a value in (0, 1], got {FractionFit}.");
        }
    }
}
