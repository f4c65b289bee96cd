namespace Consortia.Governance.Policies;

/// <summary>The protections a site requires of every job.</summary>
/// <param name="SecureAggregationRequired">Whether updates must be protected by secure aggregation.</param>
/// <param name="MinSitesPerAggregate">The minimum number of sites in every aggregate (job declaration and every round).</param>
/// <param name="DifferentialPrivacy">Differential-privacy requirements and limits, or <see langword="null"/> when the site sets none.</param>
public sealed record ProtectionPolicy(bool SecureAggregationRequired, int MinSitesPerAggregate, DifferentialPrivacyPolicy? DifferentialPrivacy)
{
    /// <summary>The default of <see cref="MaxAttemptsPerRound"/>.</summary>
    public const int DefaultMaxAttemptsPerRound = 3;

    /// <summary>
    /// <c>protections.max_attempts_per_round</c>: the most attempts of one round (the coordinator re-runs a round after
    /// a crash) the site contributes to; each attempt is charged to its privacy budget.
    /// </summary>
    /// <value>Default <see cref="DefaultMaxAttemptsPerRound"/>.</value>
    public int MaxAttemptsPerRound { get; init; } = DefaultMaxAttemptsPerRound;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public void Validate()
    {
        if (MinSitesPerAggregate < 1)
        {
            throw new ArgumentException($"protections.min_sites_per_aggregate: must be at least 1, got {MinSitesPerAggregate}.", nameof(MinSitesPerAggregate));
        }

        if (MaxAttemptsPerRound < 1)
        {
            throw new ArgumentException($"protections.max_attempts_per_round: must be at least 1, got {MaxAttemptsPerRound}.", nameof(MaxAttemptsPerRound));
        }

        DifferentialPrivacy?.Validate();
    }
}
