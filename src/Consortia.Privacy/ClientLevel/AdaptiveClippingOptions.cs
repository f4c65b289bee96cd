namespace Consortia.Privacy.ClientLevel;

/// <summary>
/// Adaptive clipping of site updates (Andrew, Thakkar, McMahan, Ramaswamy 2021, "Differentially Private Learning with
/// Adaptive Clipping", NeurIPS): the bound tracks a target quantile of the update norms, estimated privately.
/// </summary>
public sealed record AdaptiveClippingOptions
{
    /// <summary>The target quantile γ of update norms left unclipped.</summary>
    /// <value>Default: 0.5 (the median).</value>
    public double TargetQuantile { get; init; } = 0.5;

    /// <summary>The clip learning rate η_C of the geometric update C ← C·exp(−η_C (b̃ − γ)).</summary>
    /// <value>Default: 0.2.</value>
    public double LearningRate { get; init; } = 0.2;

    /// <summary>
    /// σ_b, the standard deviation of the Gaussian noise on the count of unclipped updates; <see langword="null"/>
    /// for the paper's default m/20 (m the number of sites sampled per round).
    /// </summary>
    /// <value>Default: <see langword="null"/>.</value>
    public double? BitNoise { get; init; }

    /// <summary>Checks the options and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (!(TargetQuantile > 0 && TargetQuantile < 1))
        {
            throw new ArgumentException($"privacy.dp.adaptive.target_quantile: expected a value in (0, 1), got {TargetQuantile}.");
        }

        if (!(LearningRate > 0) || !double.IsFinite(LearningRate))
        {
            throw new ArgumentException($"privacy.dp.adaptive.learning_rate: expected a finite value > 0, got {LearningRate}.");
        }

        if (BitNoise is { } sigma && (!(sigma > 0) || !double.IsFinite(sigma)))
        {
            throw new ArgumentException($"privacy.dp.adaptive.bit_noise: expected a finite value > 0, got {sigma}.");
        }
    }
}
