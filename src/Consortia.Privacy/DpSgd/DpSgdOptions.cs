namespace Consortia.Privacy.DpSgd;

/// <summary>Sample-level DP-SGD at a site: per-example clipping to C and Gaussian noise σ·C on each batch sum.</summary>
public sealed record DpSgdOptions
{
    /// <summary>The per-example clipping bound C.</summary>
    /// <value>Default: 1.</value>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>The noise multiplier σ; <see langword="null"/> when it is calibrated from <see cref="TargetEpsilon"/>.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public double? NoiseMultiplier { get; init; }

    /// <summary>The ε the whole job may cost each site at <see cref="Delta"/>; σ is calibrated to meet it over all rounds.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public double? TargetEpsilon { get; init; }

    /// <summary>δ of the guarantee.</summary>
    /// <value>Default: 1e-5.</value>
    public double Delta { get; init; } = 1e-5;

    /// <summary>Batch sampling.</summary>
    /// <value>Default: <see cref="BatchSampling.Poisson"/>.</value>
    public BatchSampling Sampling { get; init; } = BatchSampling.Poisson;

    /// <summary>Checks the options and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range, neither or both of σ and target ε are set, or the sampling is not Poisson.</exception>
    public void Validate()
    {
        if (!(ClipNorm > 0) || !double.IsFinite(ClipNorm))
        {
            throw new ArgumentException($"privacy.dp.clip: expected a finite value > 0, got {ClipNorm}.");
        }

        if (NoiseMultiplier.HasValue == TargetEpsilon.HasValue)
        {
            throw new ArgumentException("privacy.dp: give exactly one of noise_multiplier and epsilon.");
        }

        if (NoiseMultiplier is { } sigma && (!(sigma > 0) || !double.IsFinite(sigma)))
        {
            throw new ArgumentException($"privacy.dp.noise_multiplier: expected a finite value > 0, got {sigma}.");
        }

        if (TargetEpsilon is { } epsilon && (!(epsilon > 0) || !double.IsFinite(epsilon)))
        {
            throw new ArgumentException($"privacy.dp.epsilon: expected a finite value > 0, got {epsilon}.");
        }

        if (!(Delta > 0 && Delta < 1))
        {
            throw new ArgumentException($"privacy.dp.delta: expected a value in (0, 1), got {Delta}.");
        }

        if (Sampling != BatchSampling.Poisson)
        {
            throw new ArgumentException("privacy.dp.sampling: " + PoissonSamplingRule);
        }
    }

    /// <summary>Why fixed-size batches are refused under DP (rule <c>dp-poisson-sampling</c>).</summary>
    public static string PoissonSamplingRule { get; } =
        "fixed-size is refused under differential privacy (rule dp-poisson-sampling): the accountant's ε is that of Poisson sampling, and shuffled fixed-size batches accounted as rate B/n understate it; use sampling: poisson (the default).";
}
