using Consortia.Learning.Training;

namespace Consortia.Federation.Strategies.Cyclic;

/// <summary>Options of <see cref="CyclicStrategy"/>.</summary>
public sealed record CyclicOptions
{
    /// <summary>Local training at the site whose turn it is.</summary>
    /// <value>Default: one local epoch of SGD.</value>
    public LocalTrainingOptions Training { get; init; } = new();

    /// <summary>Whether each cycle visits the sites in a fresh seeded random order (FLamby's default) or in roster order.</summary>
    /// <value>Default: <see langword="true"/>.</value>
    public bool ShuffleEachCycle { get; init; } = true;

    /// <summary>Checks the options and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate() => Training.Validate();
}
