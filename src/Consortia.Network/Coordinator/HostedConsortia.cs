using Consortia.Federation;
using Consortia.Federation.Jobs;
using Consortia.Governance.Agreements;
using Consortia.Governance.Audit;
using Consortia.Governance.Roster;
using Consortia.Network.Configuration;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Coordinator;

/// <summary>
/// One consortium the coordinator hosts: the roster it serves and dispatches to, the agreement its jobs must satisfy and
/// the ledger its jobs are recorded in. The default consortium (<see cref="Name"/> null) is the coordinator home's own:
/// <c>HOME/roster.json</c>, no agreement, the coordinator ledger; its jobs go to every enrolled site, as before
/// consortia were hosted side by side.
/// </summary>
internal sealed partial class HostedConsortium(string? name, string rosterPath, AgreementReference? agreement, AuditLedger ledger)
{
    /// <summary>The consortium's name, or <see langword="null"/> for the default consortium.</summary>
    public string? Name { get; } = name;

    /// <summary>What logs and messages call it.</summary>
    public string Label => Name is null ? "the default consortium" : $"consortium '{Name}'";

    /// <summary>The roster file served for it (read and verified on each use, so a published change applies at once).</summary>
    public string RosterPath { get; } = rosterPath;

    /// <summary>The agreement its jobs must satisfy, or <see langword="null"/> (the default consortium).</summary>
    public AgreementReference? Agreement { get; } = agreement;

    /// <summary>Its ledger: job decisions, refusals and the runner's records of its jobs.</summary>
    public AuditLedger Ledger { get; } = ledger;

    /// <summary>The roster, verified; <see langword="null"/> when none is published or the file does not verify (logged).</summary>
    public ConsortiumRoster? Roster(ILogger log)
    {
        if (!File.Exists(RosterPath))
        {
            return null;
        }

        try
        {
            return ConsortiumRoster.Load(RosterPath);
        }
        catch (Exception e) when (e is RosterException or IOException or UnauthorizedAccessException)
        {
            LogRosterUnusable(log, Label, RosterPath, e.Message);
            return null;
        }
    }

    /// <summary>
    /// The enrolled sites this consortium's jobs may go to: for the default consortium every enrolled site; for a named
    /// one only the members of its roster (none while its roster is missing or does not verify).
    /// </summary>
    public IReadOnlyList<SiteId> Eligible(IReadOnlyList<SiteId> enrolled, ILogger log)
    {
        if (Name is null)
        {
            return enrolled;
        }

        ConsortiumRoster? roster = Roster(log);
        return roster is null ? [] : [.. enrolled.Where(s => roster.Find(s.Value) is not null)];
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Consortium}: the roster {Path} is not used: {Problem}")]
    private static partial void LogRosterUnusable(ILogger log, string consortium, string path, string problem);
}

/// <summary>The consortia one coordinator hosts: its default one and those of <see cref="CoordinatorConfig.Consortia"/>.</summary>
internal sealed class HostedConsortia : IDisposable, Identity.IRosterSource
{
    private readonly List<AuditLedger> _owned;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _consortiumOf = new(StringComparer.Ordinal);

    private HostedConsortia(HostedConsortium defaultConsortium, IReadOnlyDictionary<string, HostedConsortium> named, List<AuditLedger> owned)
    {
        Default = defaultConsortium;
        Named = named;
        _owned = owned;
    }

    /// <summary>The home's own consortium.</summary>
    public HostedConsortium Default { get; }

    /// <summary>The configured consortia by name.</summary>
    public IReadOnlyDictionary<string, HostedConsortium> Named { get; }

    /// <summary>Opens each configured consortium's ledger (signed with the coordinator's ledger key).</summary>
    public static HostedConsortia Open(CoordinatorConfig config, string defaultRosterPath, AuditLedger defaultLedger, ILedgerSigner signer, TimeProvider time)
    {
        List<AuditLedger> owned = [];
        Dictionary<string, HostedConsortium> named = new(StringComparer.Ordinal);
        try
        {
            foreach (ConsortiumConfig c in config.Consortia)
            {
                string ledgerPath = c.Ledger ?? Path.Combine(config.Home, "ledgers", $"consortium-{c.Name}.db");
                Directory.CreateDirectory(Path.GetDirectoryName(ledgerPath) ?? ".");
                AuditLedger ledger = AuditLedger.Open(ledgerPath, "coordinator", LedgerRole.Coordinator, signer, time);
                owned.Add(ledger);
                named[c.Name] = new HostedConsortium(c.Name, c.Roster, new AgreementReference(c.Agreement, c.Signatures ?? AgreementSignatures.DefaultPath(c.Agreement)), ledger);
            }
        }
        catch
        {
            owned.ForEach(l => l.Dispose());
            throw;
        }

        return new HostedConsortia(new HostedConsortium(null, defaultRosterPath, null, defaultLedger), named, owned);
    }

    /// <summary>
    /// The consortium a job belongs to: the configured one it names; the default one when it names none or when the
    /// coordinator hosts no other (a single-consortium coordinator runs every job as before). A job naming a consortium
    /// the coordinator does not host is refused with <paramref name="problem"/>.
    /// </summary>
    public HostedConsortium? For(JobDefinition job, out string? problem)
    {
        problem = null;
        if (job.NamesConsortium && Named.TryGetValue(job.Consortium, out HostedConsortium? hosted))
        {
            return hosted;
        }

        if (!job.NamesConsortium || Named.Count == 0)
        {
            return Default;
        }

        problem = $"the job names consortium '{job.Consortium}', which this coordinator does not host (it hosts {string.Join(", ", Named.Keys.Order(StringComparer.Ordinal).Select(n => $"'{n}'"))} and its default consortium, for jobs that name none)";
        return null;
    }

    /// <summary>
    /// The consortium a roster request names: a configured one; the default one for an empty name or the name its roster
    /// gives; <see langword="null"/> when not hosted.
    /// </summary>
    public HostedConsortium? Find(string name) =>
        Named.GetValueOrDefault(name) ?? (Identity.HomeRosterSource.IsDefault(Default.RosterPath, name) ? Default : null);

    /// <summary>The consortium a stored job names (read from its file once, then remembered; the file never changes).</summary>
    public string ConsortiumOf(Federation.Jobs.Store.JobRecord job) => _consortiumOf.GetOrAdd(job.Id, _ =>
    {
        try
        {
            return JobFile.Parse(job.YamlText, job.Id + ".yaml").Consortium;
        }
        catch (JobFileException)
        {
            return string.Empty; // the job failed on its file; its status says why
        }
    });

    /// <inheritdoc />
    public string? RosterPathOf(string consortium) => Find(consortium)?.RosterPath;

    /// <inheritdoc />
    public void Dispose() => _owned.ForEach(l => l.Dispose());
}
