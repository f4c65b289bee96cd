using Consortia.Learning.Training;

namespace Consortia.Federation.Strategies.FedOpt;

/// <summary>Options of <see cref="FedOptStrategy"/> (FedAdam, FedYogi, FedAdagrad).</summary>
public sealed record FedOptOptions
{
    /// <summary>The server optimizer.</summary>
    /// <value>Default: <see cref="FedOptVariant.Adam"/>.</value>
    public FedOptVariant Variant { get; init; } = FedOptVariant.Adam;

    /// <summary>Local training at the sites.</summary>
    /// <value>Default: one local epoch of SGD.</value>
    public LocalTrainingOptions Training { get; init; } = new();

    /// <summary>The server learning rate η.</summary>
    /// <value>Default: 0.01.</value>
    public double ServerLearningRate { get; init; } = 0.01;

    /// <summary>First-moment decay β1.</summary>
    /// <value>Default: 0.9.</value>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Second-moment decay β2 (unused by Adagrad).</summary>
    /// <value>Default: 0.999.</value>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Adaptivity τ, added to √v in the denominator.</summary>
    /// <value>Default: 1e-8.</value>
    public double Tau { get; init; } = 1e-8;

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

        if (!(Beta1 >= 0 && Beta1 < 1) || !(Beta2 >= 0 && Beta2 < 1))
        {
            throw new ArgumentException($"strategy.beta1/beta2: expected values in [0, 1), got {Beta1} and {Beta2}.");
        }

        if (!(Tau > 0) || !double.IsFinite(Tau))
        {
            throw new ArgumentException($"strategy.tau: expected a finite value > 0, got {Tau}.");
        }

        if (!(FractionFit > 0 && FractionFit <= 1))
        {
            throw new ArgumentException($"strategy.fraction_fit: expected a value in (0, 1], got {FractionFit}.");
        }
    }
}
