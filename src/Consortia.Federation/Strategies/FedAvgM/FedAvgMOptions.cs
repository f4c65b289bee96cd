using Consortia.Learning.Training;

namespace Consortia.Federation.Strategies.FedAvgM;

/// <summary>Options of <see cref="FedAvgMStrategy"/>.</summary>
public sealed record FedAvgMOptions
{
    /// <summary>Local training at the sites.</summary>
    /// <value>Default: one local epoch of SGD.</value>
    public LocalTrainingOptions Training { get; init; } = new();

    /// <summary>The server learning rate η.</summary>
    /// <value>Default: 1.</value>
    public double ServerLearningRate { get; init; } = 1.0;

    /// <summary>The server momentum β.</summary>
    /// <value>Default: 0.9.</value>
    public double ServerMomentum { get; init; } = 0.9;

    /// <summary>Fraction of sites sampled per round.</summary>
    /// <value>Default: 1.</value>
    public double FractionFit { get; init; } = 1.0;

    /// <summary>Checks the options and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        Training.Validate();
        if (!(ServerLearningRate > 0) || !double.IsFinite(ServerLearningRate))
        {
            throw new ArgumentException($"strategy.server_learning_rate: expected a finite value > 0, got {ServerLearningRate}.");
        }

        if (!(ServerMomentum >= 0 && ServerMomentum < 1))
        {
            throw new ArgumentException($"strategy.server_momentum: expected a value in [0, 1), got {ServerMomentum}.");
        }

        if (!(FractionFit > 0 && FractionFit <= 1))
        {
            throw new ArgumentException($"strategy.fraction_fit: expected a value in (0, 1], got {FractionFit}.");
        }
    }
}
