namespace Consortia.Privacy.ClientLevel;

/// <summary>
/// Client-level DP-FedAvg (McMahan, Ramage, Talwar, Zhang 2018): every site's update is clipped to C at the site and
/// the coordinator adds N(0, (z·C)²) to the sum of clipped updates before dividing by the number of sites sampled.
/// </summary>
public sealed record ClientLevelDpOptions
{
    /// <summary>The clipping bound C of a site's whole update; with adaptive clipping, the initial bound C₀.</summary>
    /// <value>Default: 1.</value>
    public double ClipNorm { get; init; } = 1.0;

    /// <summary>The noise multiplier z; <see langword="null"/> when it is calibrated from <see cref="TargetEpsilon"/>.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public double? NoiseMultiplier { get; init; }

    /// <summary>The client-level ε the whole job may cost at <see cref="Delta"/>; z is calibrated to meet it over all rounds.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public double? TargetEpsilon { get; init; }

    /// <summary>δ of the guarantee.</summary>
    /// <value>Default: 1e-5.</value>
    public double Delta { get; init; } = 1e-5;

    /// <summary>Adaptive clipping (Andrew et al. 2021), or <see langword="null"/> for a fixed bound.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public AdaptiveClippingOptions? Adaptive { get; init; }

    /// <summary>
    /// The integer noise sites add under distributed DP (secure aggregation without a trusted coordinator); ignored when
    /// the coordinator adds Gaussian noise.
    /// </summary>
    /// <value>Default: <see cref="Distributed.DistributedMechanism.DiscreteGaussian"/> (exact and O(1) per coordinate).</value>
    public Distributed.DistributedMechanism Mechanism { get; init; } = Distributed.DistributedMechanism.DiscreteGaussian;

    /// <summary>Checks the options and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range, or neither or both of z and target ε are set.</exception>
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

        if (NoiseMultiplier is { } z && (!(z > 0) || !double.IsFinite(z)))
        {
            throw new ArgumentException($"privacy.dp.noise_multiplier: expected a finite value > 0, got {z}.");
        }

        if (TargetEpsilon is { } epsilon && (!(epsilon > 0) || !double.IsFinite(epsilon)))
        {
            throw new ArgumentException($"privacy.dp.epsilon: expected a finite value > 0, got {epsilon}.");
        }

        if (!(Delta > 0 && Delta < 1))
        {
            throw new ArgumentException($"privacy.dp.delta: expected a value in (0, 1), got {Delta}.");
        }

        if (!Enum.IsDefined(Mechanism))
        {
            throw new ArgumentException($"privacy.dp.mechanism: expected discrete-gaussian or skellam, got {(int)Mechanism}.");
        }

        Adaptive?.Validate();
        if (Adaptive is { BitNoise: { } bitNoise } && NoiseMultiplier is { } fixedZ && !(fixedZ < 2 * bitNoise))
        {
            throw new ArgumentException($"privacy.dp.adaptive.bit_noise: the total noise multiplier z = {fixedZ} must be below 2·bit_noise = {2 * bitNoise}, or the update gets no noise budget (z_Δ = (z⁻² − (2σ_b)⁻²)^−½).");
        }
    }
}
