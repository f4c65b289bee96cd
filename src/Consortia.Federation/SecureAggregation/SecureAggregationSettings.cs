namespace Consortia.Federation.SecureAggregation;

/// <summary>The job file's <c>privacy.secure_aggregation</c> section.</summary>
public sealed record SecureAggregationSettings
{
    /// <summary>Each coordinate of a site's weighted update is clipped to [−R, R] before quantisation.</summary>
    /// <value>Default: 10,000 (weighted updates are the site's example count times its parameter change).</value>
    public double ClipRange { get; init; } = 10_000;

    /// <summary>The Shamir threshold t; <see langword="null"/> chooses it from the number of sites and <see cref="DropoutFraction"/>.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public int? Threshold { get; init; }

    /// <summary>SecAgg+ neighbours k; <see langword="null"/> means the complete graph (classic SecAgg).</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public int? Neighbours { get; init; }

    /// <summary>The fraction of sites that may drop out in a round (used to choose t).</summary>
    /// <value>Default: 0.1.</value>
    public double DropoutFraction { get; init; } = 0.1;

    /// <summary>How long the coordinator waits for the sites' answers at each protocol stage.</summary>
    /// <value>Default: <see langword="null"/> (wait for every site; in-process sites always answer).</value>
    public TimeSpan? StageTimeout { get; init; }

    /// <summary>Checks the settings and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (!(ClipRange > 0) || !double.IsFinite(ClipRange))
        {
            throw new ArgumentException($"privacy.secure_aggregation.clip_range: expected a finite value > 0, got {ClipRange}.");
        }

        if (Threshold is < 2)
        {
            throw new ArgumentException($"privacy.secure_aggregation.threshold: expected at least 2, got {Threshold}.");
        }

        if (Neighbours is < 2)
        {
            throw new ArgumentException($"privacy.secure_aggregation.neighbours: expected at least 2, got {Neighbours}.");
        }

        if (!(DropoutFraction >= 0 && DropoutFraction < 0.5))
        {
            throw new ArgumentException($"privacy.secure_aggregation.dropout: expected a fraction in [0, 0.5), got {DropoutFraction}.");
        }
    }

    /// <summary>The threshold for a round with <paramref name="sites"/> participants.</summary>
    /// <param name="sites">n.</param>
    /// <returns>t: the configured value, else the smallest majority that still tolerates the dropout fraction.</returns>
    public int ThresholdFor(int sites)
    {
        if (Threshold is { } t)
        {
            return Math.Min(t, sites);
        }

        // More than half (so no minority coalition with the server can reconstruct a key), and no more than
        // the sites expected to survive.
        int majority = (sites / 2) + 1;
        int survivors = sites - (int)Math.Floor(DropoutFraction * sites);
        return Math.Max(2, Math.Min(Math.Max(majority, 2), survivors));
    }
}
