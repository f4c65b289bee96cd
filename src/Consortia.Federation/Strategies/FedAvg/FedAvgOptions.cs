using Consortia.Learning.Training;

namespace Consortia.Federation.Strategies.FedAvg;

/// <summary>Options of <see cref="FedAvgStrategy"/>.</summary>
public sealed record FedAvgOptions
{
    /// <summary>Local training configuration sent to every selected site.</summary>
    /// <value>Default: one local epoch of SGD.</value>
    public LocalTrainingOptions Training { get; init; } = new();

    /// <summary>Fraction of the roster sampled each round (at least one site).</summary>
    /// <value>Default: 1 (every site, every round).</value>
    public double FractionFit { get; init; } = 1.0;

    /// <summary>Checks the options and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        Training.Validate();
        if (!(FractionFit > 0 && FractionFit <= 1))
        {
            throw new ArgumentException($"strategy.fraction_fit: expected a value in (0, 1], got {FractionFit}.");
        }
    }
}
