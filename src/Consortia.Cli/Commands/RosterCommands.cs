using System.CommandLine;
using System.Globalization;
using System.Text;
using Consortia.Governance.Audit;
using Consortia.Governance.Policies;
using Consortia.Governance.Roster;
using Consortia.Network.Configuration;
using Consortia.Network.Node;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia roster join|add|show|offer|accept</c>: the consortium roster, the sites' own trust anchor for secure
/// aggregation (see docs/security-model.md, "Roster"). A site signs its entry (<c>join</c>), the coordinator collects
/// entries into the proposed roster (<c>add</c>) and distributes it, and each node accepts it explicitly
/// (<c>accept</c>) or through its policy (<c>offer</c>, with <c>roster: accept: automatic</c>).
/// </summary>
internal static class RosterCommands
{
    private const int Ok = 0;
    private const int Failed = 1;
    private const int BadInput = 2;

    public static Command Create() => Create(TimeProvider.System);

    internal static Command Create(TimeProvider time)
    {
        Option<FileInfo> config = new("--config") { Description = "The node's configuration (site.yaml): its site name, state folder and policy.", Required = true };
        Option<string> consortium = new("--consortium") { Description = "The consortium's name.", Required = true };
        Option<FileInfo?> output = new("--out") { Description = "Write the JSON here instead of standard output." };
        Command join = new("join", "Signs this site's roster entry (its name and long-term signing key, the key of its ledger) for the coordinator to add to the proposed roster.")
        {
            config, consortium, output,
        };
        join.SetAction(parse => Join(parse.GetRequiredValue(config), parse.GetRequiredValue(consortium), parse.GetValue(output), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        Option<FileInfo> rosterFile = new("--roster") { Description = "The roster file (JSON).", Required = true };
        Option<FileInfo[]> members = new("--member") { Description = "A signed entry from 'consortia roster join' (repeatable).", Required = true, AllowMultipleArgumentsPerToken = false };
        Option<string?> newConsortium = new("--consortium") { Description = "The consortium's name, when the roster file does not exist yet." };
        Command add = new("add", "Adds signed member entries to a roster file (created when absent); every join signature is checked.")
        {
            rosterFile, members, newConsortium,
        };
        add.SetAction(parse => Add(parse.GetRequiredValue(rosterFile), parse.GetRequiredValue(members), parse.GetValue(newConsortium), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        Option<FileInfo?> optionalRoster = new("--roster") { Description = "A proposed roster; default: the node's pending proposal, else its accepted roster." };
        Option<FileInfo?> optionalConfig = new("--config") { Description = "The node's configuration: compare with the roster it accepted." };
        Command show = new("show", "Shows a roster: its consortium, its hash (compare it out of band), its members and their key fingerprints, and how it differs from the roster this node accepted.")
        {
            optionalRoster, optionalConfig,
        };
        show.SetAction(parse => Show(parse.GetValue(optionalRoster), parse.GetValue(optionalConfig), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        Option<FileInfo?> acceptRoster = new("--roster") { Description = "The roster to accept; default: the node's pending proposal." };
        Option<string?> expected = new("--sha256") { Description = "The roster hash obtained out of band; the roster is accepted only if it matches." };
        Option<string?> acceptConsortium = new("--consortium") { Description = "For a node in several consortia (consortia: in site.yaml): whose pending roster to accept; default: the roster's own consortium." };
        Command accept = new("accept", "Accepts a roster at this node (stored in its state folder, recorded in its audit ledger): its secure aggregation then trusts exactly these members' keys.")
        {
            config, acceptRoster, expected, acceptConsortium,
        };
        accept.SetAction(parse => Accept(parse.GetRequiredValue(config), parse.GetValue(acceptRoster), parse.GetValue(expected), parse.GetValue(acceptConsortium), time, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        Command offer = new("offer", "Offers a proposed roster to this node: accepted when its policy says 'roster: accept: automatic' and the roster only adds members; otherwise kept pending for 'roster accept'.")
        {
            config, rosterFile,
        };
        offer.SetAction(parse => Offer(parse.GetRequiredValue(config), parse.GetRequiredValue(rosterFile), time, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        return new Command("roster", "The consortium roster: member sites and their signing keys, the sites' own trust anchor for secure aggregation.") { join, add, show, accept, offer };
    }

    private static int Join(FileInfo configFile, string consortium, FileInfo? output, TextWriter stdout, TextWriter stderr) => Guarded(stderr, () =>
    {
        NodeConfig node = NodeConfig.Load(configFile.FullName);
        Directory.CreateDirectory(node.State);
        using EcdsaLedgerSigner key = SiteKey(node);
        ConsortiumRoster entry = ConsortiumRoster.Empty(consortium).With(ConsortiumRoster.Join(consortium, node.Site, key));
        Emit(entry.ToJson(), output, stdout);
        stderr.WriteLine($"site '{node.Site}' joins '{consortium}' with key {key.PublicKey.Fingerprint}");
        return Ok;
    });

    private static int Add(FileInfo rosterFile, FileInfo[] members, string? consortium, TextWriter stdout, TextWriter stderr) => Guarded(stderr, () =>
    {
        ConsortiumRoster roster = rosterFile.Exists
            ? ConsortiumRoster.Load(rosterFile.FullName)
            : ConsortiumRoster.Empty(consortium ?? throw new RosterException($"{rosterFile.FullName} does not exist; give --consortium to create it"));
        foreach (FileInfo file in members)
        {
            ConsortiumRoster entries = ConsortiumRoster.Load(file.FullName);
            if (entries.Consortium != roster.Consortium)
            {
                throw new RosterException($"{file.FullName}: the entry joins '{entries.Consortium}', not '{roster.Consortium}'");
            }

            foreach (RosterMember member in entries.Members)
            {
                roster = roster.With(member);
            }
        }

        File.WriteAllText(rosterFile.FullName, roster.ToJson());
        stdout.WriteLine($"{rosterFile.FullName}: roster of '{roster.Consortium}', {roster.Members.Count} members, sha256 {roster.Sha256}");
        return Ok;
    });

    private static int Show(FileInfo? rosterFile, FileInfo? configFile, TextWriter stdout, TextWriter stderr) => Guarded(stderr, () =>
    {
        RosterStore? store = configFile is null ? null : new RosterStore(NodeConfig.Load(configFile.FullName).State);
        ConsortiumRoster? accepted = store?.Accepted();
        ConsortiumRoster roster = rosterFile is not null ? ConsortiumRoster.Load(rosterFile.FullName)
            : store?.Proposed() ?? accepted ?? throw new RosterException("no roster to show: give --roster, or --config of a node that has a pending or accepted roster");
        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder text = new();
        text.AppendLine(c, $"roster of '{roster.Consortium}': {roster.Members.Count} members");
        text.AppendLine(c, $"  sha256 {roster.Sha256}");
        foreach (RosterMember member in roster.Members)
        {
            text.AppendLine(c, $"  {member.Site,-24} key {member.PublicKey.Fingerprint}");
        }

        if (store is not null)
        {
            text.AppendLine(accepted is null
                ? "this node has accepted no roster yet"
                : accepted.Sha256 == roster.Sha256 ? "this is the roster this node accepted" : $"against the accepted roster (sha256 {accepted.Sha256}): {roster.Compare(accepted)}");
        }

        stdout.Write(text.ToString());
        return Ok;
    });

    private static int Accept(FileInfo configFile, FileInfo? rosterFile, string? expected, string? consortium, TimeProvider time, TextWriter stdout, TextWriter stderr) => Guarded(stderr, () =>
    {
        NodeConfig node = NodeConfig.Load(configFile.FullName);
        ConsortiumRoster? given = rosterFile is null ? null : ConsortiumRoster.Load(rosterFile.FullName);
        NodeMembership membership = MembershipOf(node, consortium ?? given?.Consortium);
        RosterStore store = new(membership.StateFolder);
        ConsortiumRoster roster = given
            ?? store.Proposed() ?? throw new RosterException($"no pending roster in {membership.StateFolder}; give --roster");
        if (expected is not null && !string.Equals(expected, roster.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            stderr.WriteLine($"error: the roster hashes to {roster.Sha256}, not the expected {expected}; not accepted");
            return Failed;
        }

        if (roster.Find(node.Site) is null)
        {
            stderr.WriteLine($"warning: this site ('{node.Site}') is not a member of the roster; it can take part in no secure aggregation under it");
        }

        RosterChanges changes = roster.Compare(store.Accepted());
        using EcdsaLedgerSigner key = SiteKey(node);
        using AuditLedger ledger = AuditLedger.Open(Path.Combine(node.State, "ledger.db"), node.Site, LedgerRole.Site, key, time);
        RosterDecision decision = store.Accept(roster, ledger);
        stdout.WriteLine(decision == RosterDecision.Unchanged
            ? $"roster {roster.Sha256} was already accepted"
            : $"accepted the roster of '{roster.Consortium}' ({roster.Members.Count} members, sha256 {roster.Sha256}): {changes}");
        return Ok;
    });

    private static int Offer(FileInfo configFile, FileInfo rosterFile, TimeProvider time, TextWriter stdout, TextWriter stderr) => Guarded(stderr, () =>
    {
        NodeConfig node = NodeConfig.Load(configFile.FullName);
        ConsortiumRoster roster = ConsortiumRoster.Load(rosterFile.FullName);
        NodeMembership membership = MembershipOf(node, roster.Consortium);
        RosterAcceptance acceptance = membership.Policy is { } policy ? SitePolicyLoader.Load(policy).RosterAcceptance : RosterAcceptance.Manual;
        RosterStore store = new(membership.StateFolder);
        RosterChanges changes = roster.Compare(store.Accepted());
        using EcdsaLedgerSigner key = SiteKey(node);
        using AuditLedger ledger = AuditLedger.Open(Path.Combine(node.State, "ledger.db"), node.Site, LedgerRole.Site, key, time);
        RosterDecision decision = store.Offer(roster, acceptance, ledger);
        stdout.WriteLine(decision switch
        {
            RosterDecision.Accepted => $"accepted automatically: {changes} (sha256 {roster.Sha256})",
            RosterDecision.Unchanged => $"roster {roster.Sha256} was already accepted",
            _ => $"pending: {changes}; policy roster.accept is {acceptance.ToString().ToLowerInvariant()}{(changes.OnlyAdds ? string.Empty : " and the change is not only additions")}; run 'consortia roster accept' after checking sha256 {roster.Sha256}",
        });
        return decision == RosterDecision.Pending ? Failed : Ok;
    });

    /// <summary>Where a node keeps the roster of <paramref name="consortium"/>: its only store, or that consortium's under <c>consortia:</c>.</summary>
    private static NodeMembership MembershipOf(NodeConfig node, string? consortium)
    {
        if (node.Consortia.Count == 0)
        {
            return node.Memberships()[0];
        }

        return consortium is null
            ? throw new RosterException($"the node serves {node.Consortia.Count} consortia; name one with --consortium")
            : node.Membership(consortium) ?? throw new RosterException($"the node does not serve consortium '{consortium}' (consortia: in its site.yaml)");
    }

    /// <summary>The site's long-term key (its ledger key), created owner-only in its state folder on first use.</summary>
    private static EcdsaLedgerSigner SiteKey(NodeConfig node)
    {
        Directory.CreateDirectory(node.State);
        return EcdsaLedgerSigner.LoadOrCreate(Path.Combine(node.State, "ledger.key.pem"), Path.Combine(node.State, "ledger.pub.pem"));
    }

    private static void Emit(string json, FileInfo? output, TextWriter stdout)
    {
        if (output is null)
        {
            stdout.Write(json);
        }
        else
        {
            File.WriteAllText(output.FullName, json);
        }
    }

    private static int Guarded(TextWriter stderr, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is RosterException or ConfigurationException or PolicyFileException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return BadInput;
        }
    }
}
