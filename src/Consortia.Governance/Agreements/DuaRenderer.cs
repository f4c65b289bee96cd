using System.Globalization;
using System.Net;
using System.Text;
using Consortia.Governance.Policies;

namespace Consortia.Governance.Agreements;

/// <summary>
/// Renders an agreement as a data use agreement a lawyer can read (<c>consortia agreement render</c>): numbered clauses
/// in plain language, the statement that no row-level data leaves any member, and for each clause the technical
/// control that enforces it (the rule names that appear in refusals and ledgers).
/// </summary>
public static class DuaRenderer
{
    /// <summary>The statement every rendering carries: federated training moves models, never records.</summary>
    public const string NoTransferStatement =
        "No row-level data leaves any member. Each member's records stay on its own systems; only model updates "
        + "(masked by secure aggregation where this agreement requires it) and aggregate numbers computed over at least "
        + "the minimum cell count leave a member's site.";

    /// <summary>The agreement's clauses with their controls, in order.</summary>
    /// <param name="agreement">The agreement.</param>
    /// <returns>The clauses.</returns>
    public static IReadOnlyList<DuaClause> Clauses(ConsortiumAgreement agreement)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        ConsortiumAgreement a = agreement;
        CultureInfo c = CultureInfo.InvariantCulture;
        List<(string Title, IReadOnlyList<string> Terms, string Controls)> clauses =
        [
            ("Parties",
                [.. a.Members.Select(m => $"{m.Organisation} (site '{m.Site}', {m.Jurisdiction}; legal basis: {m.LegalBasis.Describe()}; contact: {m.Contact}; signing key {m.KeyFingerprint})")],
                $"Each party signs with its site's long-term key, which this agreement pins: `{AgreementRules.Signatures}`. A site that is not a party takes part in nothing under it: `{AgreementRules.Member}` (AgreementGuard)."),
            ("Purpose",
                [a.Purpose.Text, $"Every job declares one of the purpose codes {string.Join(", ", a.Purpose.Codes)} and runs in the consortium '{a.Name}'."],
                $"AgreementGuard at each site: `{AgreementRules.Purpose}`, `{AgreementRules.Consortium}`; site policy: `{PolicyRules.Consortium}`."),
            ("No transfer of data",
                [NoTransferStatement, "No per-patient output (predictions, embeddings or residuals per record) is ever released."],
                $"The federated architecture: sites train locally and send only updates. Site policy: `{PolicyRules.Outputs}` (per-patient outputs are never allowed); AgreementGuard: `{AgreementRules.Outputs}`."),
            ("Data categories",
                [.. a.DataCategories.Select(d => $"{d.Name}: {d.Description} (columns: {string.Join(", ", d.Columns)})"), "A job reads no other data."],
                $"AgreementGuard: `{AgreementRules.Data}`; site policy: `{PolicyRules.Columns}` (column allow-list)."),
            ("Permitted training",
                [$"Jobs may be submitted by: {string.Join(", ", a.Training.Submitters)}.", $"Tasks: {string.Join(", ", a.Training.Tasks)}.", $"Model kinds: {string.Join(", ", a.Training.Models)}.", $"Aggregation strategies: {string.Join(", ", a.Training.Strategies)}."],
                $"AgreementGuard: `{AgreementRules.Submitter}`, `{AgreementRules.Task}`, `{AgreementRules.Model}`, `{AgreementRules.Strategy}`; site policy: `{PolicyRules.Owner}`, `{PolicyRules.Model}`, `{PolicyRules.Strategy}`."),
            ("Minimum protections",
                [a.Protections.SecureAggregation
                    ? "Every model update is masked by secure aggregation: the coordinator learns only the sum of the members' updates, never one member's update."
                    : "Secure aggregation is not required; members' updates may be sent unmasked to the coordinator.",
                 string.Create(c, $"Every aggregate combines the updates of at least {a.Protections.MinSitesPerAggregate} members.")],
                $"AgreementGuard: `{AgreementRules.SecureAggregation}`, `{AgreementRules.MinSites}`; site policy: `{PolicyRules.SecureAggregation}`, `{PolicyRules.MinSites}`; task guard: `task-secure-aggregation`, `task-participants` (the coordinator cannot drop a protection from a task)."),
            ("Differential privacy",
                DpTerms(a.Protections.DifferentialPrivacy),
                $"AgreementGuard: `{AgreementRules.Dp}`, `{AgreementRules.EpsilonPerJob}`, `{AgreementRules.EpsilonLifetime}`; site policy: `{PolicyRules.DpRequired}`, `{PolicyRules.DpEpsilonCeiling}`, `{PolicyRules.DpBudget}` (every round, against the site's own privacy budget ledger)."),
            ("Outputs and publication",
                [$"Trained models are received by: {Recipients(a)}.", string.Create(c, $"No number computed over fewer than {a.Outputs.MinCellCount} records is released."), $"Publication: {a.Outputs.Publication}"],
                $"Minimum cell count: AgreementGuard `{AgreementRules.Outputs}` (the site's policy must withhold metrics over fewer records) and the site policy's metric suppression (`min_cell_count`). Model recipients and publication: organisational, not enforced by a technical control in this version."),
            ("Term",
                [string.Create(c, $"This agreement is valid from {a.Validity.From:yyyy-MM-dd} to {a.Validity.Until:yyyy-MM-dd} inclusive (UTC). Outside these dates no job runs under it.")],
                $"AgreementGuard: `{AgreementRules.Validity}` (checked when a job starts and before every round)."),
            ("Signature and entry into force",
                [Quorum(a), string.Create(c, $"This text is identified by its SHA-256 hash {a.Sha256} (version {a.Version}). Any change to its terms changes the hash and voids every signature; the changed agreement must be signed again.")],
                $"AgreementGuard: `{AgreementRules.Signatures}` (signatures verified against the pinned keys and the current hash before every job); `{AgreementRules.File}` when the agreement cannot be read."),
            ("Exit",
                [string.Create(c, $"A member leaves by giving {a.Exit.NoticeDays} days' notice to the other members."), $"Models: {a.Exit.Models}"],
                "Organisational. A leaving member removes the agreement from its site policy or stops its node; its site then accepts no task under this agreement."),
        ];
        return [.. clauses.Select((x, i) => new DuaClause(i + 1, x.Title, x.Terms, x.Controls))];
    }

    /// <summary>The agreement as Markdown.</summary>
    /// <param name="agreement">The agreement.</param>
    /// <param name="status">Its signatures, or <see langword="null"/> to leave them out.</param>
    /// <returns>The Markdown text.</returns>
    public static string Markdown(ConsortiumAgreement agreement, AgreementStatus? status)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        CultureInfo c = CultureInfo.InvariantCulture;
        IReadOnlyList<DuaClause> clauses = Clauses(agreement);
        StringBuilder md = new();
        md.AppendLine(c, $"# Data use agreement: {agreement.Name}");
        md.AppendLine();
        md.AppendLine(c, $"Version {agreement.Version} · SHA-256 `{agreement.Sha256}` · valid {agreement.Validity.From:yyyy-MM-dd} to {agreement.Validity.Until:yyyy-MM-dd}");
        md.AppendLine();
        md.AppendLine(c, $"**{NoTransferStatement}**");
        md.AppendLine();
        foreach (DuaClause clause in clauses)
        {
            md.AppendLine(c, $"## {clause.Number}. {clause.Title}");
            md.AppendLine();
            foreach (string term in clause.Terms)
            {
                md.AppendLine(c, $"- {term}");
            }

            md.AppendLine();
            md.AppendLine(c, $"*Enforced by:* {clause.Controls}");
            md.AppendLine();
        }

        md.AppendLine("## Clauses and technical controls");
        md.AppendLine();
        md.AppendLine("| Clause | Enforced by |");
        md.AppendLine("|---|---|");
        foreach (DuaClause clause in clauses)
        {
            md.AppendLine(c, $"| {clause.Number}. {clause.Title} | {clause.Controls.Replace("|", "\\|", StringComparison.Ordinal)} |");
        }

        md.AppendLine();
        AppendSignatures(md, status, (line) => md.AppendLine(c, $"- {line}"), "## Signatures");
        md.AppendLine();
        md.AppendLine("*This document is rendered from the agreement file by `consortia agreement render`. It describes the technical controls; it is not legal advice.*");
        return md.ToString();
    }

    /// <summary>The agreement as a self-contained HTML page.</summary>
    /// <param name="agreement">The agreement.</param>
    /// <param name="status">Its signatures, or <see langword="null"/> to leave them out.</param>
    /// <returns>The HTML text.</returns>
    public static string Html(ConsortiumAgreement agreement, AgreementStatus? status)
    {
        ArgumentNullException.ThrowIfNull(agreement);
        CultureInfo c = CultureInfo.InvariantCulture;
        IReadOnlyList<DuaClause> clauses = Clauses(agreement);
        StringBuilder h = new();
        h.AppendLine("<!DOCTYPE html>");
        h.AppendLine(c, $"<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Data use agreement: {E(agreement.Name)}</title>");
        h.AppendLine("<style>body{font-family:Georgia,serif;max-width:50em;margin:2em auto;line-height:1.45}table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .6em;vertical-align:top;text-align:left}.statement{font-weight:bold;border-left:4px solid #333;padding-left:1em}.controls{color:#333;font-size:.92em}code{font-size:.9em}</style></head><body>");
        h.AppendLine(c, $"<h1>Data use agreement: {E(agreement.Name)}</h1>");
        h.AppendLine(c, $"<p>Version {agreement.Version} · SHA-256 <code>{agreement.Sha256}</code> · valid {agreement.Validity.From:yyyy-MM-dd} to {agreement.Validity.Until:yyyy-MM-dd}</p>");
        h.AppendLine(c, $"<p class=\"statement\">{E(NoTransferStatement)}</p>");
        foreach (DuaClause clause in clauses)
        {
            h.AppendLine(c, $"<h2>{clause.Number}. {E(clause.Title)}</h2><ul>");
            foreach (string term in clause.Terms)
            {
                h.AppendLine(c, $"<li>{E(term)}</li>");
            }

            h.AppendLine(c, $"</ul><p class=\"controls\"><em>Enforced by:</em> {Code(clause.Controls)}</p>");
        }

        h.AppendLine("<h2>Clauses and technical controls</h2><table><tr><th>Clause</th><th>Enforced by</th></tr>");
        foreach (DuaClause clause in clauses)
        {
            h.AppendLine(c, $"<tr><td>{clause.Number}. {E(clause.Title)}</td><td>{Code(clause.Controls)}</td></tr>");
        }

        h.AppendLine("</table>");
        StringBuilder items = new();
        AppendSignatures(h, status, line => items.AppendLine(c, $"<li>{E(line)}</li>"), null);
        if (status is not null)
        {
            h.AppendLine("<h2>Signatures</h2><ul>").Append(items).AppendLine("</ul>");
        }

        h.AppendLine("<p><em>This document is rendered from the agreement file by <code>consortia agreement render</code>. It describes the technical controls; it is not legal advice.</em></p>");
        h.AppendLine("</body></html>");
        return h.ToString();
    }

    private static void AppendSignatures(StringBuilder text, AgreementStatus? status, Action<string> line, string? heading)
    {
        if (status is null)
        {
            return;
        }

        if (heading is not null)
        {
            text.AppendLine(heading).AppendLine();
        }

        foreach (string site in status.Valid)
        {
            line($"Signed by {status.Agreement.FindMember(site)!.Organisation} (site '{site}').");
        }

        foreach (string problem in status.Invalid)
        {
            line($"Invalid signature: {problem}.");
        }

        foreach (string site in status.Missing)
        {
            line($"Not yet signed by {status.Agreement.FindMember(site)!.Organisation} (site '{site}').");
        }

        line(status.QuorumSigned ? "The quorum of signatures is reached." : "The quorum of signatures is NOT reached: the agreement is not in force.");
    }

    private static IReadOnlyList<string> DpTerms(AgreementDp? dp)
    {
        if (dp is null)
        {
            return ["This agreement sets no differential-privacy terms."];
        }

        CultureInfo c = CultureInfo.InvariantCulture;
        return
        [
            dp.Required
                ? $"Every job uses {(dp.Mode is { } m ? DpModeNames.ToName(m) : "sample-level or client-level")} differential privacy."
                : "Differential privacy is not required; the limits below apply to every job that uses it.",
            string.Create(c, $"A job spends at most ε = {dp.EpsilonPerJob} at a member (δ at most {dp.Delta})."),
            string.Create(c, $"All jobs together spend at most ε = {dp.EpsilonPerMemberLifetime} at any one member over its lifetime in the consortium."),
        ];
    }

    private static string Recipients(ConsortiumAgreement agreement) =>
        string.Join(", ", agreement.Outputs.ModelRecipients.Select(r => r == "members" ? "every member" : agreement.FindMember(r)?.Organisation ?? r));

    private static string Quorum(ConsortiumAgreement agreement) => agreement.Quorum is { } q
        ? string.Create(CultureInfo.InvariantCulture, $"This agreement is in force once {q} of its {agreement.Members.Count} parties have signed it, within its term.")
        : "This agreement is in force once every party has signed it, within its term.";

    private static string E(string text) => WebUtility.HtmlEncode(text);

    /// <summary>HTML-encodes the controls text and turns its `rule` spans into code elements.</summary>
    private static string Code(string controls)
    {
        string[] parts = E(controls).Split('`');
        StringBuilder html = new();
        for (int i = 0; i < parts.Length; i++)
        {
            html.Append(i % 2 == 1 ? "<code>" + parts[i] + "</code>" : parts[i]);
        }

        return html.ToString();
    }
}
