using System.CommandLine;
using Consortia.Governance.Agreements;
using Consortia.Governance.Audit;
using Consortia.Governance.Policies;
using Consortia.Network.Configuration;
using Consortia.Network.Node;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia node leave</c>: a site leaves one of its consortia. The node then refuses every new job of it
/// (<c>consortium-left</c>), the departure is in the site's ledger, and the agreement's exit terms are shown.
/// </summary>
internal static class MembershipCommands
{
    private const int Ok = 0;
    private const int Error = 2;

    /// <summary>The <c>leave</c> command under <c>node</c>.</summary>
    /// <param name="time">The clock; the system clock when <see langword="null"/> (this is the composition root).</param>
    /// <returns>The command.</returns>
    public static Command NodeLeave(TimeProvider? time = null)
    {
        TimeProvider clock = time ?? TimeProvider.System;
        Option<FileInfo> config = new("--config") { Description = "The node's configuration (site.yaml).", Required = true };
        Option<string?> consortium = new("--consortium") { Description = "The consortium to leave (one of the node's consortia:); needed when the node serves several." };
        Option<string> reason = new("--reason") { Description = "Why, recorded in the ledger.", DefaultValueFactory = _ => string.Empty };
        Command leave = new("leave", "Leaves a consortium: the node takes no new task of it, the departure is recorded in its ledger, and the agreement's exit terms are shown.")
        {
            config, consortium, reason,
        };
        leave.SetAction(parse =>
        {
            TextWriter stdout = parse.InvocationConfiguration.Output;
            TextWriter stderr = parse.InvocationConfiguration.Error;
            try
            {
                NodeConfig node = NodeConfig.Load(parse.GetRequiredValue(config).FullName);
                NodeMembership membership = Find(node, parse.GetValue(consortium));
                Directory.CreateDirectory(node.State);
                using EcdsaLedgerSigner key = EcdsaLedgerSigner.LoadOrCreate(Path.Combine(node.State, "ledger.key.pem"), Path.Combine(node.State, "ledger.pub.pem"));
                using AuditLedger ledger = AuditLedger.Open(Path.Combine(node.State, "ledger.db"), node.Site, LedgerRole.Site, key, clock);
                string name = membership.Consortium ?? "the node's consortium";
                stdout.WriteLine(MembershipRecord.Leave(membership, ledger, clock.GetUtcNow(), parse.GetValue(reason) ?? string.Empty)
                    ? $"left {name}: the node takes no new task of it; recorded in {Path.Combine(node.State, "ledger.db")}"
                    : $"already left {name} at {MembershipRecord.LeftAt(membership)}");
                stdout.WriteLine(ExitTerms(membership));
                return Ok;
            }
            catch (Exception e) when (e is ConfigurationException or PolicyFileException or IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"error: {e.Message}");
                return Error;
            }
        });
        return leave;
    }

    private static NodeMembership Find(NodeConfig node, string? consortium)
    {
        IReadOnlyList<NodeMembership> memberships = node.Memberships();
        if (consortium is null)
        {
            return memberships.Count == 1
                ? memberships[0]
                : throw new ConfigurationException($"the node serves {memberships.Count} consortia ({string.Join(", ", memberships.Select(m => m.Consortium))}); name one with --consortium.");
        }

        return memberships.FirstOrDefault(m => string.Equals(m.Consortium, consortium, StringComparison.Ordinal))
            ?? throw new ConfigurationException($"the node does not serve consortium '{consortium}' (its consortia: {string.Join(", ", memberships.Select(m => m.Consortium ?? "(none named)"))}).");
    }

    /// <summary>The agreement's exit clause (what happens to the models, the notice), or why there is none to show.</summary>
    private static string ExitTerms(NodeMembership membership)
    {
        AgreementReference? reference = membership.Agreement
            ?? (membership.Policy is { } policy && File.Exists(policy) ? SitePolicyLoader.Load(policy).Agreement : null);
        if (reference is null)
        {
            return "no consortium agreement is configured for it: no exit terms to show.";
        }

        try
        {
            ConsortiumAgreement agreement = AgreementLoader.Load(reference.File);
            return $"exit terms of '{agreement.Name}' version {agreement.Version}: notice {agreement.Exit.NoticeDays} days; models: {agreement.Exit.Models}";
        }
        catch (AgreementFileException e)
        {
            return $"the exit terms cannot be shown: {e.Message}";
        }
    }
}
