using Consortia.Governance.Audit;
using Consortia.Governance.Roster;

namespace Consortia.Network.Identity;

/// <summary>How a site's roster key recorded at enrollment compares with the key the consortium roster lists for it.</summary>
public enum EnrollmentKeyStatus
{
    /// <summary>The site sent no roster key when it enrolled or last renewed.</summary>
    NoneRecorded,

    /// <summary>No roster to compare with, or the site is not a member of it.</summary>
    NotInRoster,

    /// <summary>The roster lists the key recorded at enrollment.</summary>
    Matches,

    /// <summary>The roster lists another key: the site's key changed without a renewal recording it (or the roster entry is not the site's).</summary>
    Differs,
}

/// <summary>Compares the roster key recorded with a site's certificate with its roster entry (<c>site list</c>, the admin API, <c>audit verify</c>).</summary>
public static class EnrollmentKeyCheck
{
    /// <summary>Compares <paramref name="recorded"/> with the key <paramref name="roster"/> lists for <paramref name="site"/>.</summary>
    /// <param name="site">The site.</param>
    /// <param name="recorded">The key recorded at its enrollment or last renewal, or <see langword="null"/>.</param>
    /// <param name="roster">The consortium roster, or <see langword="null"/>.</param>
    /// <returns>The status and a sentence for operators.</returns>
    public static (EnrollmentKeyStatus Status, string Text) Compare(string site, LedgerPublicKey? recorded, ConsortiumRoster? roster)
    {
        if (recorded is null)
        {
            return (EnrollmentKeyStatus.NoneRecorded, "no roster key recorded at enrollment");
        }

        if (roster?.Find(site) is not { } member)
        {
            return (EnrollmentKeyStatus.NotInRoster, $"enrolled with {recorded.Fingerprint}; not in the roster");
        }

        return member.PublicKey.Equals(recorded)
            ? (EnrollmentKeyStatus.Matches, $"enrolled with {recorded.Fingerprint}, as in the roster")
            : (EnrollmentKeyStatus.Differs, $"KEY CHANGED WITHOUT RENEWAL: enrolled with {recorded.Fingerprint}, the roster lists {member.PublicKey.Fingerprint}");
    }
}
