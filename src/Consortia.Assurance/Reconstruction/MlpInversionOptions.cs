namespace Consortia.Assurance.Reconstruction;

/// <summary>How hard the MLP gradient-inversion attack tries.</summary>
public sealed record MlpInversionOptions
{
    /// <summary>The number of records the attacker believes the gradient was computed from.</summary>
    /// <value>Default: 1.</value>
    public int BatchSize { get; init; } = 1;

    /// <summary>Optimisation steps per start.</summary>
    /// <value>Default: 1500.</value>
    public int Iterations { get; init; } = 1500;

    /// <summary>Independent random starts; the guess whose gradient matches best is kept.</summary>
    /// <value>Default: 4.</value>
    public int Restarts { get; init; } = 4;

    /// <summary>Adam's initial step size on the guessed features; it decays to 1 % of this by the last step.</summary>
    /// <value>Default: 0.1 (features are standardised, of order 1).</value>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>The gradient-matching loss.</summary>
    /// <value>Default: <see cref="GradientMatching.Cosine"/>.</value>
    public GradientMatching Matching { get; init; } = GradientMatching.Cosine;

    /// <summary>Checks the options and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (BatchSize is < 1 or > 64)
        {
            throw new ArgumentException($"BatchSize: expected 1 to 64 records, got {BatchSize}.");
        }

        if (Iterations < 1 || Restarts < 1)
        {
            throw new ArgumentException($"Iterations and Restarts: expected at least 1, got {Iterations} and {Restarts}.");
        }

        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
        {
            throw new ArgumentException($"LearningRate: expected a finite value > 0, got {LearningRate}.");
        }
    }
}
