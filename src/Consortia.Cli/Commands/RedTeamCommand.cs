using System.CommandLine;
using System.Text;
using System.Text.Json;
using Consortia.Data;
using Consortia.Cli.RedTeam;
using Consortia.Federation.RedTeam;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia redteam coordinator [--json] [--unprotected] [--data DIR]</c>: attacks real site agents as a malicious
/// coordinator would and reports, per attack, whether the sites stopped it and what the attacker obtained.
/// Exit 0 when every attack was prevented, 1 when one succeeded, 2 on bad input.
/// </summary>
internal static class RedTeamCommand
{
    public static Command Create()
    {
        Option<bool> json = new("--json") { Description = "Prints one JSON object: {\"mode\", \"attacks\": [{\"name\", \"prevented\", \"detail\"}]}." };
        Option<bool> unprotected = new("--unprotected") { Description = "Attacks a deliberately weakened site configuration that exists only for this command (the attacks must succeed)." };
        Option<DirectoryInfo?> data = new("--data") { Description = "The FLamby heart-disease folder the victim sites train on; default: data/fed-heart-disease in this directory or one above it." };
        Command coordinator = new("coordinator", "Runs the attacks of a malicious coordinator (protection downgrade, repeated rounds, evaluation outside the policy, public sampling, puppet sites, a threshold too low, hostile indexes, host-header routing, a re-keyed ledger, fairness audits of crafted models; downgrade and puppets also over gRPC to real node processes) against real site agents and a real coordinator host.")
        {
            json, unprotected, data,
        };
        coordinator.SetAction((parse, cancellationToken) => RunAsync(
            parse.GetValue(data), parse.GetValue(unprotected), parse.GetValue(json), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, cancellationToken));
        return new Command("redteam", "Attacks the product's own protections and reports what an attacker would obtain.") { coordinator, PrivacyRedTeamCommand.Create() };
    }

    private static async Task<int> RunAsync(DirectoryInfo? data, bool unprotected, bool json, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        RedTeamReport? report = await RunCoordinatorAsync(data, unprotected, stderr, cancellationToken).ConfigureAwait(false);
        if (report is null)
        {
            return 2;
        }

        await stdout.WriteAsync(json ? ToJson(report) : ToText(report)).ConfigureAwait(false);
        return report.AllPrevented ? 0 : 1;
    }

    /// <summary>Runs every coordinator attack; <see langword="null"/> (the reason written to <paramref name="stderr"/>) when they could not run.</summary>
    internal static async Task<RedTeamReport?> RunCoordinatorAsync(DirectoryInfo? data, bool unprotected, TextWriter stderr, CancellationToken cancellationToken)
    {
        string? folder = data?.FullName ?? FindData();
        if (folder is null || !Directory.Exists(folder))
        {
            await stderr.WriteLineAsync($"error: --data: the heart-disease folder {(folder is null ? "data/fed-heart-disease was not found here or above" : $"'{folder}' does not exist")}; pass --data DIR.").ConfigureAwait(false);
            return null;
        }

        RedTeamReport report;
        try
        {
            RedTeamReport sites = await CoordinatorRedTeam.RunAsync(folder, unprotected, cancellationToken).ConfigureAwait(false);
            report = sites with
            {
                Attacks =
                [
                    .. sites.Attacks,
                    await DeploymentAttacks.HostHeaderAsync(unprotected, cancellationToken).ConfigureAwait(false),
                    await DeploymentAttacks.LedgerKeyAsync(unprotected, cancellationToken).ConfigureAwait(false),
                    await AuditAttacks.CraftedModelAsync(folder, unprotected, cancellationToken).ConfigureAwait(false),
                    .. await GrpcAttacks.RunAsync(folder, unprotected, cancellationToken).ConfigureAwait(false),
                ],
            };
        }
        catch (Exception e) when (e is DataConfigurationException or DataValidationException or IOException)
        {
            await stderr.WriteLineAsync($"error: --data: {e.Message}").ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is Deployment.LocalDeploymentException or TimeoutException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // The attacks over gRPC need real node processes; when they cannot start, nothing was shown either way.
            await stderr.WriteLineAsync($"error: the red team could not run its node processes: {e.Message}").ConfigureAwait(false);
            return null;
        }

        return report;
    }

    private static string? FindData()
    {
        for (DirectoryInfo? directory = new(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "data", "fed-heart-disease");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    internal static string ToText(RedTeamReport report)
    {
        StringBuilder text = new();
        text.AppendLine($"Red team against the sites ({report.Mode}): a malicious coordinator");
        foreach (AttackOutcome attack in report.Attacks)
        {
            text.AppendLine($"  {(attack.Prevented ? "prevented" : "SUCCEEDED"),-10} {attack.Name}: {attack.Detail}");
        }

        text.AppendLine(report.AllPrevented ? "Every attack was prevented." : $"{report.Attacks.Count(a => !a.Prevented)} of {report.Attacks.Count} attacks succeeded.");
        return text.ToString();
    }

    private static string ToJson(RedTeamReport report)
    {
        using MemoryStream stream = new();
        using (Utf8JsonWriter w = new(stream, new JsonWriterOptions { Indented = true }))
        {
            WriteJson(w, report);
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + Environment.NewLine;
    }

    /// <summary>Writes the report as one JSON object: <c>{"mode", "attacks": [{"name", "prevented", "detail"}]}</c>.</summary>
    internal static void WriteJson(Utf8JsonWriter w, RedTeamReport report)
    {
        w.WriteStartObject();
        w.WriteString("mode", report.Mode);
        w.WriteStartArray("attacks");
        foreach (AttackOutcome attack in report.Attacks)
        {
            w.WriteStartObject();
            w.WriteString("name", attack.Name);
            w.WriteBoolean("prevented", attack.Prevented);
            w.WriteString("detail", attack.Detail);
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }
}
