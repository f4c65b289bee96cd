using System.Globalization;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Governance.Reports.Rendering;
using Consortia.Governance.Verification;

namespace Consortia.Governance.Reports;

/// <summary>Renders a <see cref="ComplianceReport"/> as Markdown or as a self-contained HTML page, with the same sections.</summary>
public static class ComplianceReportRenderer
{
    /// <summary>The section headings, in order, as they appear in both formats.</summary>
    public static IReadOnlyList<string> Sections { get; } =
    [
        "Summary", "Job manifest", "Participants", "Policy decisions", "Protections in force", "Privacy budget",
        "Rounds", "What left each site", "Ledger integrity", "Cross-checks",
    ];

    /// <summary>Renders the report as Markdown.</summary>
    /// <param name="report">The report.</param>
    /// <returns>The Markdown text.</returns>
    public static string RenderMarkdown(ComplianceReport report) => MarkdownWriter.Write(Blocks(report));

    /// <summary>Renders the report as a self-contained HTML page (all text HTML-encoded; no scripts).</summary>
    /// <param name="report">The report.</param>
    /// <returns>The HTML text.</returns>
    public static string RenderHtml(ComplianceReport report) => HtmlWriter.Write(Title(report), Blocks(report));

    private static string Title(ComplianceReport report) => $"Compliance report: job {report.JobId}";

    private static List<ReportBlock> Blocks(ComplianceReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        List<ReportBlock> b = [new HeadingBlock(1, Title(report))];
        b.Add(new ParagraphBlock($"Generated {Time(report.GeneratedAt)} from the coordinator's ledger, {report.Sites.Count(s => s.Ledger is not null)} site ledger(s) and the job manifest. Every ledger was verified (hash chain, sequence numbers, signatures) before its contents were used."));
        Summary(report, b);
        Manifest(report, b);
        Participants(report, b);
        Decisions(report, b);
        Protections(report, b);
        Budget(report, b);
        Rounds(report, b);
        Outflows(report, b);
        Integrity(report, b);
        CrossChecks(report, b);
        return b;
    }

    private static void Summary(ComplianceReport r, List<ReportBlock> b)
    {
        int supplied = r.Sites.Count(s => s.Ledger is not null);
        int valid = r.Sites.Count(s => s.Ledger is { IsValid: true });
        int accepted = r.Sites.Count(s => s.JobDecision is { Accepted: true });
        b.Add(new HeadingBlock(2, "Summary"));
        b.Add(new TableBlock(["check", "result"],
        [
            ["All ledgers verify", YesNo(r.AllLedgersValid) + $" (coordinator {(r.Coordinator.IsValid ? "valid" : "INVALID")}, {N(valid)} of {N(supplied)} site ledgers valid)"],
            ["Site ledgers agree with the coordinator", YesNo(r.CrossChecksConsistent)],
            ["Manifest matches the hash recorded in the ledgers", YesNo(r.ManifestMatches)],
            ["Sites whose policy accepted the job", $"{N(accepted)} of {N(r.Sites.Count)}"],
            ["Rounds completed", N(r.Rounds.Count)],
            ["Updates that left sites unmasked", N(r.Sites.Sum(s => s.UpdatesSent.Count(u => u.Kind == UpdateKind.Plain)))],
        ]));
    }

    private static void Manifest(ComplianceReport r, List<ReportBlock> b)
    {
        JobDescriptor j = r.Job;
        b.Add(new HeadingBlock(2, "Job manifest"));
        b.Add(new ListBlock(
        [
            $"File: {r.ManifestName}",
            $"SHA-256: {r.ManifestSha256}",
            $"Job id: {r.JobId}",
            $"Consortium: {Or(j.Consortium)}; owner: {Or(j.Owner)}",
            $"Model: {Or(j.ModelKind)}; strategy: {Or(j.Strategy)}; rounds: {(j.Rounds is { } n ? N(n) : "not declared")}",
            $"Outputs declared: {(j.Outputs.Count == 0 ? "none besides the model update" : string.Join(", ", j.Outputs))}",
            $"Data columns read: {(j.Columns.Count == 0 ? "not declared" : string.Join(", ", j.Columns))}",
        ]));
        b.Add(new TableBlock(["ledger", "manifest hash recorded on receipt", "matches"],
            r.ManifestHashes.Select(m => (IReadOnlyList<string>)[m.WriterId, m.RecordedSha256 ?? "none recorded", m.RecordedSha256 is null ? "-" : YesNo(m.Matches)]).ToList()));
        b.Add(new CodeBlock("yaml", r.ManifestText));
    }

    private static void Participants(ComplianceReport r, List<ReportBlock> b)
    {
        b.Add(new HeadingBlock(2, "Participants"));
        b.Add(new TableBlock(["site", "ledger", "policy version", "decision", "rounds in aggregates", "rounds trained", "updates sent"],
            r.Sites.Select(s => (IReadOnlyList<string>)
            [
                s.SiteId,
                s.Ledger is null ? "not supplied" : s.Ledger.IsValid ? "verified" : "FAILED verification",
                s.JobDecision?.PolicyVersion is { } v ? N(v) : "-",
                Decision(s.JobDecision),
                N(r.Rounds.Count(round => round.Sites.Contains(s.SiteId, StringComparer.Ordinal))),
                N(s.RoundsTrained),
                N(s.UpdatesSent.Count),
            ]).ToList()));
    }

    private static void Decisions(ComplianceReport r, List<ReportBlock> b)
    {
        b.Add(new HeadingBlock(2, "Policy decisions"));
        foreach (SiteCompliance s in r.Sites)
        {
            b.Add(new HeadingBlock(3, s.SiteId));
            if (s.JobDecision is not { } d)
            {
                b.Add(new ParagraphBlock(s.Ledger is { IsValid: true }
                    ? "No job-level policy decision is recorded in this site's ledger."
                    : "No verified ledger: this site's decisions cannot be shown."));
                continue;
            }

            b.Add(new ParagraphBlock($"Decision: {Decision(d)} under policy version {(d.PolicyVersion is { } v ? N(v) : "none (no policy installed)")} (policy SHA-256 {d.PolicySha256 ?? "-"}). " +
                $"Round decisions: {N(s.RoundsAccepted)} accepted, {N(s.RoundRefusals.Count)} refused."));
            b.Add(new TableBlock(["rule", "result", "reason"],
                d.Rules.Select(rule => (IReadOnlyList<string>)[rule.Rule, rule.Passed ? "pass" : "FAIL", rule.Reason]).ToList()));
            if (s.RoundRefusals.Count > 0)
            {
                b.Add(new ListBlock(s.RoundRefusals.Select(x =>
                    $"round {N(x.Round ?? 0)} refused: {string.Join("; ", x.Rules.Where(rule => !rule.Passed).Select(rule => $"{rule.Rule}: {rule.Reason}"))}").ToList()));
            }
        }
    }

    private static void Protections(ComplianceReport r, List<ReportBlock> b)
    {
        JobDescriptor j = r.Job;
        int masked = r.Sites.Sum(s => s.UpdatesSent.Count(u => u.Kind == UpdateKind.Masked));
        int plain = r.Sites.Sum(s => s.UpdatesSent.Count(u => u.Kind == UpdateKind.Plain));
        int? smallest = r.Rounds.Count == 0 ? null : r.Rounds.Min(x => x.Sites.Count);
        b.Add(new HeadingBlock(2, "Protections in force"));
        b.Add(new ListBlock(
        [
            $"Secure aggregation: {(j.SecureAggregation ? "declared on" : "declared off")}; site ledgers record {N(masked)} masked and {N(plain)} plain update(s).",
            j.Dp is { } dp
                ? $"Differential privacy: {DpModeNames.ToName(dp.Mode)}, target ε = {F(dp.Epsilon)}, δ = {F(dp.Delta)}."
                : "Differential privacy: not declared by the job.",
            $"Minimum sites per aggregate: {(j.MinSitesPerAggregate is { } m ? N(m) : "not declared")}; smallest completed round aggregated {(smallest is { } k ? N(k) : "-")} site(s).",
            "Per-patient outputs: never allowed by any site policy.",
        ]));
    }

    private static void Budget(ComplianceReport r, List<ReportBlock> b)
    {
        b.Add(new HeadingBlock(2, "Privacy budget"));
        List<SiteCompliance> charged = r.Sites.Where(s => s.LastCharge is not null).ToList();
        if (charged.Count == 0)
        {
            b.Add(new ParagraphBlock("No privacy charges are recorded for this job in the verified site ledgers."));
            return;
        }

        b.Add(new TableBlock(["site", "mode", "ε spent by this job", "δ", "ε declared by the job", "lifetime ε", "lifetime budget", "budget remaining"],
            charged.Select(s =>
            {
                PrivacyChargeEvent c = s.LastCharge!; // filtered on LastCharge above.
                return (IReadOnlyList<string>)
                [
                    s.SiteId, DpModeNames.ToName(c.Mode), F(c.JobEpsilon), F(c.Delta), r.Job.Dp is { } dp ? F(dp.Epsilon) : "-",
                    c.LifetimeEpsilon is { } l ? F(l) : "-", c.LifetimeBudget is { } t ? F(t) : "-",
                    c.LifetimeEpsilon is { } spent && c.LifetimeBudget is { } budget ? F(budget - spent) : "-",
                ];
            }).ToList()));
    }

    private static void Rounds(ComplianceReport r, List<ReportBlock> b)
    {
        b.Add(new HeadingBlock(2, "Rounds"));
        if (r.Rounds.Count == 0)
        {
            b.Add(new ParagraphBlock("The coordinator's ledger records no completed round for this job."));
            return;
        }

        b.Add(new TableBlock(["round", "sites", "participants", "aggregate SHA-256"],
            r.Rounds.Select(x => (IReadOnlyList<string>)[N(x.Round), N(x.Sites.Count), string.Join(", ", x.Sites), x.AggregateSha256 ?? "-"]).ToList()));
        foreach (ModelReleasedEvent m in r.ModelsReleased)
        {
            b.Add(new ParagraphBlock($"Model released to {m.Destination} with SHA-256 {m.ModelSha256}."));
        }
    }

    private static void Outflows(ComplianceReport r, List<ReportBlock> b)
    {
        b.Add(new HeadingBlock(2, "What left each site"));
        foreach (SiteCompliance s in r.Sites)
        {
            b.Add(new HeadingBlock(3, s.SiteId));
            if (s.Ledger is not { IsValid: true })
            {
                b.Add(new ParagraphBlock(s.Ledger is null
                    ? "No ledger supplied: what left this site cannot be stated."
                    : "The ledger failed verification: what left this site cannot be stated."));
                continue;
            }

            if (s.UpdatesSent.Count == 0)
            {
                b.Add(new ParagraphBlock("According to its ledger, no model update left this site for this job."));
                continue;
            }

            int masked = s.UpdatesSent.Count(u => u.Kind == UpdateKind.Masked);
            long bytes = s.UpdatesSent.Sum(u => u.SizeBytes);
            b.Add(new ParagraphBlock($"According to its ledger, {N(s.UpdatesSent.Count)} model update(s) left this site ({N(masked)} masked by secure aggregation, " +
                $"{N(s.UpdatesSent.Count - masked)} plain), {bytes.ToString("N0", CultureInfo.InvariantCulture)} bytes in total, in rounds " +
                $"{string.Join(", ", s.UpdatesSent.Select(u => N(u.Round)).Distinct())}. No other data is recorded as leaving the site."));
            b.Add(new TableBlock(["round", "kind", "bytes", "update SHA-256"],
                s.UpdatesSent.Select(u => (IReadOnlyList<string>)[N(u.Round), LedgerEventCodec.UpdateKindName(u.Kind), u.SizeBytes.ToString(CultureInfo.InvariantCulture), u.UpdateSha256]).ToList()));
        }
    }

    private static void Integrity(ComplianceReport r, List<ReportBlock> b)
    {
        b.Add(new HeadingBlock(2, "Ledger integrity"));
        b.Add(new ParagraphBlock("Head hashes pin each ledger: anyone holding a copy can re-run `consortia audit verify` and compare the head hash and entry count, which also detects removal of entries from the end."));
        List<LedgerVerification> all = [r.Coordinator, .. r.Sites.Where(s => s.Ledger is not null).Select(s => s.Ledger!)]; // filtered on non-null.
        b.Add(new TableBlock(["ledger", "writer", "role", "entries", "head hash", "key fingerprint", "key checked against", "result"],
            all.Select(v => (IReadOnlyList<string>)
            [
                Path.GetFileName(v.Path), v.WriterId ?? "-", v.Role?.ToString().ToLowerInvariant() ?? "-", N(v.EntryCount), v.HeadHash ?? "-",
                v.KeyFingerprint ?? "-", v.KeySuppliedExternally ? "supplied key" : "key in the ledger header",
                v.IsValid ? "valid" : $"INVALID: {v.Problem}",
            ]).ToList()));
    }

    private static void CrossChecks(ComplianceReport r, List<ReportBlock> b)
    {
        b.Add(new HeadingBlock(2, "Cross-checks"));
        List<string> lines = [];
        foreach (SiteCompliance s in r.Sites)
        {
            if (s.CrossCheck is not { } c)
            {
                lines.Add($"{s.SiteId}: no site ledger supplied; not cross-checked.");
                continue;
            }

            IReadOnlyList<CrossCheckFinding> findings = r.RelevantFindings(c);
            lines.Add(findings.Count == 0
                ? $"{s.SiteId}: consistent; {N(c.MatchedUpdates)} update hash(es) recorded by both the site and the coordinator."
                : $"{s.SiteId}: {N(findings.Count)} finding(s): {string.Join(" | ", findings.Select(f => f.Description))}");
        }

        b.Add(new ListBlock(lines));
    }

    private static string Decision(PolicyDecisionEvent? d) => d switch
    {
        null => "none recorded",
        { Accepted: true } => "accepted",
        _ => "REFUSED (" + string.Join(", ", d.Rules.Where(x => !x.Passed).Select(x => x.Rule)) + ")",
    };

    private static string YesNo(bool value) => value ? "yes" : "NO";

    private static string Or(string value) => value.Length == 0 ? "not declared" : value;

    private static string N(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static string F(double value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
