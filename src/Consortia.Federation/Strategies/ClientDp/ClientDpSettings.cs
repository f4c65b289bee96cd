using Consortia.Federation.SecureAggregation;
using Consortia.Privacy.ClientLevel;

namespace Consortia.Federation.Strategies.ClientDp;

/// <summary>Client-level DP-FedAvg for a job.</summary>
/// <param name="Options">Clipping (fixed or adaptive), z or target ε, and δ.</param>
/// <param name="JobId">The job the sites' privacy charges are booked to.</param>
/// <param name="TotalRounds">The job's rounds T (the accountant's steps), over which a target ε is spread.</param>
/// <remarks>
/// With secure aggregation the noise is distributed (<see cref="IsDistributed"/>): each site adds its share of
/// integer noise (discrete Gaussian by default, or Skellam) before masking, so the coordinator never sees a noiseless sum. Central noise, added by the
/// coordinator after unmasking, remains only with <see cref="TrustedCoordinator"/> or without secure aggregation
/// (then the coordinator sees every update anyway).
/// </remarks>
public sealed record ClientDpSettings(ClientLevelDpOptions Options, string JobId, int TotalRounds)
{
    /// <summary>The job's <c>privacy.dp.trusted_coordinator</c>: the coordinator adds the noise after unmasking the sum.</summary>
    /// <value>Default: <see langword="false"/>.</value>
    public bool TrustedCoordinator { get; init; }

    /// <summary>The job's secure aggregation settings (they fix the threshold t the sites' noise is sized for), or <see langword="null"/>.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public SecureAggregationSettings? SecureAggregation { get; init; }

    /// <summary>The job's <c>training.min_participants</c>: a round with fewer contributors is not unmasked.</summary>
    /// <value>Default: 1.</value>
    public int MinimumParticipants { get; init; } = 1;

    /// <summary>Whether the noise is added by the sites (distributed discrete Gaussian or Skellam under secure aggregation).</summary>
    public bool IsDistributed => SecureAggregation is not null && !TrustedCoordinator;

    /// <summary>t: the fewest contributors whose sum a round of <paramref name="participants"/> sites unmasks; the sites' noise is sized for them.</summary>
    /// <param name="participants">m, the sites in the round.</param>
    /// <param name="threshold">The session's Shamir threshold.</param>
    /// <returns>min(m, max(threshold, minimum participants)).</returns>
    public int MinimumContributors(int participants, int threshold) => Math.Min(participants, Math.Max(threshold, MinimumParticipants));
}
