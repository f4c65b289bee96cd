using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Verification;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia audit show --ledger FILE [--json]</c>: a readable view of a ledger — its header, every entry (sequence,
/// time, kind, job and run, the facts of the event, its hash) and whether the chain verifies.
/// </summary>
/// <remarks>Exit codes: 0 = shown and valid, 1 = shown but the ledger does not verify, 2 = the file cannot be read as a ledger.</remarks>
internal static class AuditShowCommand
{
    private static readonly CultureInfo s_invariant = CultureInfo.InvariantCulture;

    /// <summary>Creates the command.</summary>
    public static Command Create()
    {
        Option<string> ledger = new("--ledger") { Description = "The ledger file (SQLite), e.g. HOME/ledgers/coordinator.db or a node's state/ledger.db.", Required = true };
        Option<bool> json = new("--json") { Description = "Prints one JSON object: header, verification and entries (with their canonical payloads)." };
        Command show = new("show", "Shows a ledger's entries in readable form (time, kind, job, run, facts, hash) and whether it verifies.") { ledger, json };
        show.SetAction(parse => Show(parse.GetRequiredValue(ledger), parse.GetValue(json), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return show;
    }

    private static int Show(string path, bool json, TextWriter stdout, TextWriter stderr)
    {
        LedgerContents contents;
        try
        {
            contents = LedgerReader.Read(path);
        }
        catch (LedgerFormatException error)
        {
            stderr.WriteLine($"error: {error.Message}");
            return 2;
        }

        LedgerVerification verification = LedgerVerifier.Verify(path);
        string status = verification.IsValid
            ? "valid"
            : $"INVALID at {(verification.Problem?.Position is { } p ? "entry " + p.ToString(s_invariant) : "header")}: {verification.Problem?.Reason}";
        if (json)
        {
            stdout.WriteLine(Json(contents, verification, status));
        }
        else
        {
            LedgerHeader h = contents.Header;
            stdout.WriteLine($"ledger {contents.Path}");
            stdout.WriteLine($"  writer:    {h.WriterId} ({h.Role.ToString().ToLowerInvariant()}), created {h.CreatedAt.ToString("yyyy-MM-dd HH:mm:ss", s_invariant)}Z");
            stdout.WriteLine($"  entries:   {contents.Entries.Count.ToString(s_invariant)}, head hash {contents.HeadHash}");
            stdout.WriteLine($"  verifies:  {status} (against the key in the header; `audit verify --public-key` checks the writer's identity)");
            stdout.WriteLine();
            foreach (LedgerEntry e in contents.Entries)
            {
                stdout.WriteLine(string.Create(s_invariant, $"{e.Sequence,5}  {e.Timestamp:yyyy-MM-dd HH:mm:ss}Z  {Kind(e.Event),-20} {Describe(e.Event)}  [{e.EntryHash[..12]}]"));
            }
        }

        return verification.IsValid ? 0 : 1;
    }

    /// <summary>The event kind as written in ledgers' documentation (snake case).</summary>
    private static string Kind(LedgerEvent e) => e switch
    {
        JobReceivedEvent => "job-received",
        PolicyDecisionEvent => "policy-decision",
        RoundTrainedEvent => "round-trained",
        UpdateSentEvent => "update-sent",
        PrivacyChargeEvent => "privacy-charge",
        AggregateReceivedEvent => "aggregate-received",
        ModelReleasedEvent => "model-released",
        ConfigurationChangeEvent => "configuration-change",
        RoundCompletedEvent => "round-completed",
        RedTeamReportEvent => "redteam-report",
        FairnessAuditEvent => "fairness-audit",
        _ => e.Type.ToString(),
    };

    /// <summary>One line of facts: job and run, round, and what the event records.</summary>
    private static string Describe(LedgerEvent e)
    {
        string run = e.RunId is { } r ? $" run {r}" : "";
        return e switch
        {
            JobReceivedEvent x => $"job {x.JobId}{run}: manifest {Short(x.ManifestSha256)}, consortium {Or(x.Consortium)}, owner {Or(x.Owner)}",
            PolicyDecisionEvent x => $"job {x.JobId}{run}{Round(x.Round)}: {(x.Accepted ? "accepted" : "REFUSED")} under policy v{x.PolicyVersion?.ToString(s_invariant) ?? "-"}"
                + string.Concat(x.Rules.Where(rule => !rule.Passed).Select(rule => $"; {rule.Rule}: {rule.Reason}")),
            RoundTrainedEvent x => string.Create(s_invariant, $"job {x.JobId}{run} round {x.Round}: trained on {x.ExampleCount} examples"),
            UpdateSentEvent x => string.Create(s_invariant, $"job {x.JobId}{run} round {x.Round}: sent {x.Kind.ToString().ToLowerInvariant()} update {Short(x.UpdateSha256)} ({x.SizeBytes} bytes)"),
            PrivacyChargeEvent x => string.Create(s_invariant, $"job {x.JobId}{run}{Round(x.Round)}: {x.Mode} ε = {x.JobEpsilon:G6} (δ = {x.Delta:G3})")
                + (x.LifetimeEpsilon is { } spent ? string.Create(s_invariant, $", lifetime ε {spent:G6}") + (x.LifetimeBudget is { } budget ? string.Create(s_invariant, $" of {budget:G6}") : "") : ""),
            AggregateReceivedEvent x => string.Create(s_invariant, $"job {x.JobId}{run} round {x.Round}: aggregate {Short(x.AggregateSha256)} from {x.ContributingSites} sites"),
            ModelReleasedEvent x => $"job {x.JobId}{run}: model {Short(x.ModelSha256)} released to {x.Destination}",
            ConfigurationChangeEvent x => $"{x.Item}: {(x.PreviousSha256 is { } before ? Short(before) : "none")} → {Short(x.NewSha256)} ({x.Description})",
            RoundCompletedEvent x => string.Create(s_invariant, $"job {x.JobId}{run} round {x.Round}: {x.Updates.Count} update(s) received")
                + string.Concat(x.Updates.Select(u => $", {u.SiteId} {Short(u.UpdateSha256)}")),
            RedTeamReportEvent x => $"red-team report of {x.JobId}: {Short(x.ReportSha256)} (previous {(x.PreviousSha256 is { } before ? Short(before) : "none")}; {Or(x.Settings)})",
            FairnessAuditEvent x => string.Create(s_invariant, $"job {x.JobId}{run}: fairness audit of model {Short(x.ModelSha256)} by {string.Join(", ", x.Attributes)}: {FairnessRelease(x)} {Short(x.Sha256)} ({x.Sites} sites)")
                + (x.Withheld.Count > 0 ? $"; withheld {string.Join(", ", x.Withheld)}" : ""),
            _ => e.Type.ToString(),
        };
    }

    private static string FairnessRelease(FairnessAuditEvent e) => e.Release switch
    {
        Governance.Audit.Events.FairnessRelease.Plain => "sent counts",
        Governance.Audit.Events.FairnessRelease.Masked => "sent masked counts",
        _ => "report",
    };

    private static string Round(int? round) => round is { } r ? " round " + r.ToString(s_invariant) : "";

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] : hash;

    private static string Or(string text) => text.Length == 0 ? "-" : text;

    private static string Json(LedgerContents contents, LedgerVerification verification, string status)
    {
        using MemoryStream buffer = new();
        using (Utf8JsonWriter w = new(buffer))
        {
            w.WriteStartObject();
            w.WriteString("path", contents.Path);
            w.WriteString("writer", contents.Header.WriterId);
            w.WriteString("role", contents.Header.Role.ToString().ToLowerInvariant());
            w.WriteString("createdAt", contents.Header.CreatedAt.ToString("O", s_invariant));
            w.WriteString("headHash", contents.HeadHash);
            w.WriteBoolean("valid", verification.IsValid);
            w.WriteString("verification", status);
            w.WriteStartArray("entries");
            foreach (LedgerEntry e in contents.Entries)
            {
                w.WriteStartObject();
                w.WriteNumber("sequence", e.Sequence);
                w.WriteString("timestamp", e.Timestamp.ToString("O", s_invariant));
                w.WriteString("kind", Kind(e.Event));
                w.WriteString("summary", Describe(e.Event));
                w.WriteString("entryHash", e.EntryHash);
                w.WriteString("previousHash", e.PreviousHash);
                w.WritePropertyName("event");
                w.WriteRawValue(e.Payload);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
