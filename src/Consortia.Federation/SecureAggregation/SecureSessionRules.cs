using Consortia.Governance.Policies;
using Consortia.Governance.Roster;
using Consortia.SecureAggregation.Protocol;

namespace Consortia.Federation.SecureAggregation;

/// <summary>
/// The site's own rules for any secure-aggregation session the coordinator asks it to join (a training round's, a
/// fairness audit's): the coordinator chooses the session's parameters, so the site refuses any it would not have chosen.
/// </summary>
public static class SecureSessionRules
{
    /// <summary>Rule: the session's security mode.</summary>
    public const string ModeRule = "secagg-mode";

    /// <summary>Rule: participants authenticated against the accepted roster.</summary>
    public const string RosterRule = "secagg-roster";

    /// <summary>Rule: the Shamir threshold.</summary>
    public const string ThresholdRule = "secagg-threshold";

    /// <summary>Why the site must not join the session, or <see langword="null"/> when it may.</summary>
    /// <param name="site">The site.</param>
    /// <param name="session">The session the coordinator proposes.</param>
    /// <param name="participant">The site's 1-based index the coordinator names.</param>
    /// <param name="roster">The roster the site accepted, or <see langword="null"/>.</param>
    /// <param name="canSign">Whether the site has its signing key.</param>
    /// <param name="policy">The site's policy, or <see langword="null"/> (then no threshold is enough).</param>
    /// <returns>The rule and the reason, or <see langword="null"/>.</returns>
    public static (string Rule, string Reason)? Problem(SiteId site, SecAggSessionOptions session, int participant, ConsortiumRoster? roster, bool canSign, SitePolicy? policy)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (session.SecurityMode != SecAggSecurityMode.MaliciousServer)
        {
            return (ModeRule, $"the session runs in {session.SecurityMode} mode; this site takes part only in malicious-server sessions (signed advertisements and a consistency check)");
        }

        if (roster is null || !canSign)
        {
            return (RosterRule, roster is null
                ? "this site has accepted no consortium roster, so it cannot authenticate the other participants (consortia roster accept)"
                : "this site has no signing key for its advertisements");
        }

        if (participant < 1 || participant > session.ParticipantCount || session.Participants[participant - 1] != site.Value)
        {
            return (RosterRule, $"the task names participant {participant}, which is not this site ('{site.Value}') in the session's participant list");
        }

        string[] unknown = [.. session.Participants.Where(p => roster.Find(p) is null)];
        if (unknown.Length > 0)
        {
            return (RosterRule, $"participant(s) {string.Join(", ", unknown.Select(u => $"'{u}'"))} are not in the accepted roster of '{roster.Consortium}' (sha256 {roster.Sha256})");
        }

        int holders = session.HolderCount;
        if (2 * session.Threshold <= holders)
        {
            return (ThresholdRule, $"threshold t = {session.Threshold} with {holders} holders per secret: 2t must exceed the holders, so that no minority of them can reconstruct a site's secrets with the coordinator");
        }

        int minimum = policy?.Protections.MinSitesPerAggregate ?? int.MaxValue;
        if (session.Threshold < minimum)
        {
            return (ThresholdRule, $"threshold t = {session.Threshold} is below this site's minimum of {minimum} sites per aggregate");
        }

        return null;
    }
}
