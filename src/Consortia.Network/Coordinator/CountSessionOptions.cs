using Consortia.Federation;
using Consortia.Federation.SecureAggregation;
using Consortia.SecureAggregation.Protocol;

namespace Consortia.Network.Coordinator;

/// <summary>The secure-aggregation session in which sites release a count vector (a fairness audit, the counting of group reweighting).</summary>
internal static class CountSessionOptions
{
    /// <summary>The session over <paramref name="sites"/> (in this order: participant i + 1 is sites[i]), with the job's secure-aggregation settings.</summary>
    /// <param name="sessionJobId">The session's id; sites require the one bound to the use.</param>
    /// <param name="round">The session's round.</param>
    /// <param name="sites">The participants.</param>
    /// <param name="length">The count vector's length.</param>
    /// <param name="secure">The job's secure-aggregation settings.</param>
    /// <param name="minimumParticipants">The job's minimum of participants.</param>
    /// <returns>The session.</returns>
    public static SecAggSessionOptions For(string sessionJobId, long round, IReadOnlyList<SiteId> sites, int length, SecureAggregationSettings secure, int minimumParticipants) => new()
    {
        JobId = sessionJobId,
        RoundNumber = round,
        Participants = [.. sites.Select(s => s.Value)],
        VectorLength = length,
        Threshold = secure.SessionThreshold(sites.Count, minimumParticipants),
        Neighbours = secure.Neighbours,
        SecurityMode = SecAggSecurityMode.MaliciousServer, // sites refuse anything weaker
        MinimumAggregateSize = SecureAggregationSettings.MinimumAggregateFor(sites.Count, minimumParticipants),
    };
}
