using Consortia.Dashboard;
using Consortia.Governance.Audit;
using Consortia.Governance.Roster;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Coordinator;

/// <summary>
/// The coordinator's sources for its dashboard (<c>listen.dashboard</c>): its job store, its consortia with their
/// rosters and ledgers, its own ledger, and its admin credential as the only way in.
/// </summary>
internal static class CoordinatorDashboard
{
    /// <summary>What the default consortium is called when its roster is not published yet.</summary>
    private const string DefaultName = "default";

    public static DashboardOptions Options(CoordinatorServices services, ILogger log, TimeProvider time) => new()
    {
        Jobs = services.Jobs,
        // The same check as the admin API, so a rotated admin.token applies here at once.
        IsAdminToken = token => services.AdminCredential.IsValid("Bearer " + token),
        Time = time,
        Consortia = () => Consortia(services.Consortia, log),
        ConsortiumOf = job =>
        {
            string named = services.Consortia.ConsortiumOf(job);
            return services.Consortia.Named.ContainsKey(named) ? named : NameOf(services.Consortia.Default, log);
        },
        Ledger = () => Head(services.Ledger),
        AllowTokenLink = false, // the token is typed into the login form, never put in a URL
        SecureCookie = true,
    };

    private static List<DashboardConsortium> Consortia(HostedConsortia consortia, ILogger log) =>
        [.. new[] { consortia.Default }.Concat(consortia.Named.Values.OrderBy(c => c.Name, StringComparer.Ordinal)).Select(c =>
        {
            ConsortiumRoster? roster = c.Roster(log);
            return new DashboardConsortium(c.Name ?? roster?.Consortium ?? DefaultName, [.. roster?.Members.Select(m => m.Site) ?? []], Head(c.Ledger));
        })];

    private static string NameOf(HostedConsortium consortium, ILogger log) => consortium.Name ?? consortium.Roster(log)?.Consortium ?? DefaultName;

    private static LedgerHead Head(AuditLedger ledger) => new(ledger.HeadHash, ledger.LastSequence);
}
