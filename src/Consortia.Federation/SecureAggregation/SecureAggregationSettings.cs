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

    /// <summary>The threshold for a session whose secrets each have <paramref name="holders"/> holders.</summary>
    /// <param name="holders">The holders of each secret: n for the complete graph, k + 1 with SecAgg+.</param>
    /// <param name="minimumSites">The job's minimum sites per aggregate: sites refuse a threshold below their policy's minimum, which the job's must meet.</param>
    /// <returns>
    /// t: the largest of the configured value, a strict majority of the holders (2t &gt; holders, so no minority coalition
    /// with the coordinator can reconstruct a key; sites refuse anything less) and <paramref name="minimumSites"/>,
    /// at most the holders. Without a configured value, the majority is raised only as far as the dropout fraction allows.
    /// </returns>
    public int ThresholdFor(int holders, int minimumSites)
    {
        int majority = (holders / 2) + 1;
        int t = Math.Max(Math.Max(majority, minimumSites), Threshold ?? 2);
        return Math.Clamp(t, 2, Math.Max(2, holders));
    }

    /// <summary>The holders of each secret in a session of <paramref name="participants"/> sites: n for the complete graph, k + 1 with SecAgg+.</summary>
    /// <param name="participants">The session's participants.</param>
    /// <returns>The holders.</returns>
    public int HoldersFor(int participants) => Neighbours is int k && k < participants - 1 ? k + 1 : participants;

    /// <summary>The smallest aggregate a session of <paramref name="participants"/> sites may unmask: the job's minimum, and never fewer than 3.</summary>
    /// <param name="participants">The session's participants.</param>
    /// <param name="jobMinimum">The job's <c>training.min_participants</c>.</param>
    /// <returns>The minimum aggregate size.</returns>
    public static int MinimumAggregateFor(int participants, int jobMinimum) => Math.Clamp(jobMinimum, 3, Math.Max(3, participants));

    /// <summary>The threshold t of a session of <paramref name="participants"/> sites (what the engine sets and what distributed DP sizes its noise for).</summary>
    /// <param name="participants">The session's participants.</param>
    /// <param name="jobMinimum">The job's <c>training.min_participants</c>.</param>
    /// <returns>t.</returns>
    public int SessionThreshold(int participants, int jobMinimum) => ThresholdFor(HoldersFor(participants), MinimumAggregateFor(participants, jobMinimum));
}
