namespace Consortia.Privacy.Accounting;

/// <summary>What <see cref="NoiseCalibrator"/> searches for: the smallest noise multiplier meeting a target (ε, δ).</summary>
public sealed record NoiseCalibrationOptions
{
    /// <summary>The target ε.</summary>
    /// <value>Required; finite and positive.</value>
    public required double TargetEpsilon { get; init; }

    /// <summary>δ at which ε is measured.</summary>
    /// <value>Required; in (0, 1).</value>
    public required double Delta { get; init; }

    /// <summary>The Poisson sampling rate q.</summary>
    /// <value>Required; in (0, 1].</value>
    public required double SampleRate { get; init; }

    /// <summary>The number of composed steps (or rounds).</summary>
    /// <value>Required; at least 1.</value>
    public required long Steps { get; init; }

    /// <summary>The order grid.</summary>
    /// <value><see cref="RdpOrderGrid.OpacusDefault"/>.</value>
    public RdpOrderGrid Grid { get; init; } = RdpOrderGrid.OpacusDefault;

    /// <summary>The RDP to (ε, δ) conversion.</summary>
    /// <value><see cref="RdpConversion.Balle2020"/>.</value>
    public RdpConversion Conversion { get; init; } = RdpConversion.Balle2020;

    /// <summary>The lower end of the search bracket.</summary>
    /// <value>0.01.</value>
    public double MinNoiseMultiplier { get; init; } = 0.01;

    /// <summary>The upper end of the search bracket.</summary>
    /// <value>1000.</value>
    public double MaxNoiseMultiplier { get; init; } = 1000.0;

    /// <summary>The bisection stops when the bracket is narrower than this fraction of its upper end.</summary>
    /// <value>10⁻⁶.</value>
    public double RelativeTolerance { get; init; } = 1e-6;

    /// <summary>Checks every field.</summary>
    /// <exception cref="ArgumentException">A field is invalid; the message names it.</exception>
    public void Validate()
    {
        if (!(TargetEpsilon > 0.0) || !double.IsFinite(TargetEpsilon))
        {
            throw new ArgumentException($"{nameof(TargetEpsilon)} must be finite and positive (got {TargetEpsilon}).", nameof(TargetEpsilon));
        }

        if (!(Delta > 0.0 && Delta < 1.0))
        {
            throw new ArgumentException($"{nameof(Delta)} must be in (0, 1) (got {Delta}).", nameof(Delta));
        }

        if (!(SampleRate > 0.0 && SampleRate <= 1.0))
        {
            throw new ArgumentException($"{nameof(SampleRate)} must be in (0, 1] (got {SampleRate}).", nameof(SampleRate));
        }

        if (Steps < 1)
        {
            throw new ArgumentException($"{nameof(Steps)} must be at least 1 (got {Steps}).", nameof(Steps));
        }

        if (Grid is null)
        {
            throw new ArgumentException($"{nameof(Grid)} must be set.", nameof(Grid));
        }

        if (!Enum.IsDefined(Conversion))
        {
            throw new ArgumentException($"{nameof(Conversion)} {(int)Conversion} is not a known conversion.", nameof(Conversion));
        }

        if (!(MinNoiseMultiplier > 0.0) || !double.IsFinite(MinNoiseMultiplier))
        {
            throw new ArgumentException($"{nameof(MinNoiseMultiplier)} must be finite and positive (got {MinNoiseMultiplier}).", nameof(MinNoiseMultiplier));
        }

        if (!(MaxNoiseMultiplier > MinNoiseMultiplier) || !double.IsFinite(MaxNoiseMultiplier))
        {
            throw new ArgumentException($"{nameof(MaxNoiseMultiplier)} must be finite and greater than {nameof(MinNoiseMultiplier)} (got {MaxNoiseMultiplier}).", nameof(MaxNoiseMultiplier));
        }

        if (!(RelativeTolerance > 0.0 && RelativeTolerance < 0.5))
        {
            throw new ArgumentException($"{nameof(RelativeTolerance)} must be in (0, 0.5) (got {RelativeTolerance}).", nameof(RelativeTolerance));
        }
    }
}
