using System.Globalization;
using System.Text;
using Consortia.Governance.Agreements;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;

namespace Consortia.Governance.Reports;

/// <summary>One job of a consortium as its ledgers record it.</summary>
/// <param name="RunId">The coordinator's id of the run.</param>
/// <param name="Name">The job's name.</param>
/// <param name="Accepted">Whether the coordinator's agreement check accepted it (<see langword="null"/>: no check recorded).</param>
/// <param name="Rules">The clauses of the coordinator's check, with their outcome.</param>
public sealed record ConsortiumJob(string RunId, string Name, bool? Accepted, IReadOnlyList<RuleResult> Rules);

/// <summary>A refusal of a job under the agreement: by the coordinator or by a site.</summary>
/// <param name="RunId">The run refused.</param>
/// <param name="Job">The job's name.</param>
/// <param name="By">Who refused: <c>coordinator</c> or the site's name.</param>
/// <param name="Clause">The clause (rule) broken.</param>
/// <param name="Reason">Why.</param>
public sealed record ConsortiumRefusal(string RunId, string Job, string By, string Clause, string Reason);

/// <summary>
/// The compliance report of one consortium: its agreement and signatures, every job the coordinator checked, the
/// clauses those checks exercised, the ε each member's ledger recorded for the consortium's jobs, and every refusal, the
/// coordinator's and the sites'. Built from the consortium's ledger (the coordinator's) and any site ledgers supplied.
/// </summary>
/// <param name="Consortium">The consortium's name.</param>
/// <param name="GeneratedAt">When the report was made.</param>
/// <param name="Agreement">The agreement and its verified signatures.</param>
/// <param name="ConsortiumLedger">The verification of the consortium's ledger.</param>
/// <param name="Jobs">The consortium's jobs, in ledger order.</param>
/// <param name="EpsilonByMember">The ε each site's ledger recorded for the consortium's jobs (the sum over jobs of each job's final ε).</param>
/// <param name="Refusals">Every refusal, the coordinator's first.</param>
public sealed record ConsortiumComplianceReport(
    string Consortium,
    DateTimeOffset GeneratedAt,
    AgreementStatus Agreement,
    Verification.LedgerVerification ConsortiumLedger,
    IReadOnlyList<ConsortiumJob> Jobs,
    IReadOnlyDictionary<string, double> EpsilonByMember,
    IReadOnlyList<ConsortiumRefusal> Refusals)
{
    /// <summary>The coordinator's name as a refuser.</summary>
    public const string Coordinator = "coordinator";

    /// <summary>How often each clause was evaluated and how often it refused, over the coordinator's checks.</summary>
    public IReadOnlyList<(string Clause, int Evaluated, int Refused)> ClausesExercised =>
        [.. Jobs.SelectMany(j => j.Rules).GroupBy(r => r.Rule, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Count(), g.Count(r => !r.Passed))).OrderBy(c => c.Key, StringComparer.Ordinal)];

    /// <summary>Builds the report.</summary>
    /// <param name="consortium">The consortium's name (site ledgers' jobs are matched by it).</param>
    /// <param name="agreement">The agreement and its signatures.</param>
    /// <param name="consortiumLedgerPath">The consortium's ledger at the coordinator.</param>
    /// <param name="siteLedgerPaths">Site ledgers (any number).</param>
    /// <param name="generatedAt">The caller's clock.</param>
    /// <returns>The report.</returns>
    /// <exception cref="LedgerFormatException">A ledger cannot be read.</exception>
    public static ConsortiumComplianceReport Build(string consortium, AgreementStatus agreement, string consortiumLedgerPath, IReadOnlyList<string> siteLedgerPaths, DateTimeOffset generatedAt)
    {
        ArgumentNullException.ThrowIfNull(consortium);
        ArgumentNullException.ThrowIfNull(agreement);
        ArgumentNullException.ThrowIfNull(siteLedgerPaths);
        LedgerContents coordinator = LedgerReader.Read(consortiumLedgerPath);
        Verification.LedgerVerification verification = Verification.LedgerVerifier.Verify(consortiumLedgerPath);
        List<ConsortiumJob> jobs = [];
        List<ConsortiumRefusal> refusals = [];
        foreach (PolicyDecisionEvent d in coordinator.Entries.Select(e => e.Event).OfType<PolicyDecisionEvent>().Where(d => d.Round is null))
        {
            string run = d.RunId ?? d.JobId;
            jobs.RemoveAll(j => j.RunId == run); // a restarted job is checked again: its last check counts
            jobs.Add(new ConsortiumJob(run, d.JobId, d.Accepted, d.Rules));
            refusals.AddRange(d.Rules.Where(r => !r.Passed).Select(r => new ConsortiumRefusal(run, d.JobId, Coordinator, r.Rule, r.Reason)));
        }

        SortedDictionary<string, double> epsilon = new(StringComparer.Ordinal);
        foreach (string path in siteLedgerPaths)
        {
            LedgerContents site = LedgerReader.Read(path);
            string writer = site.Header.WriterId;
            LedgerEvent[] events = [.. site.Entries.Select(e => e.Event)];
            HashSet<string> runs = [.. events.OfType<JobReceivedEvent>().Where(j => string.Equals(j.Consortium, consortium, StringComparison.Ordinal)).Select(j => j.RunId ?? j.JobId)];
            epsilon[writer] = events.OfType<PrivacyChargeEvent>().Where(c => runs.Contains(c.RunId ?? c.JobId))
                .GroupBy(c => c.RunId ?? c.JobId, StringComparer.Ordinal).Sum(g => g.Max(c => c.JobEpsilon)); // each charge holds the job's ε so far
            refusals.AddRange(events.OfType<PolicyDecisionEvent>().Where(d => !d.Accepted && runs.Contains(d.RunId ?? d.JobId))
                .SelectMany(d => d.Rules.Where(r => !r.Passed).Select(r => new ConsortiumRefusal(d.RunId ?? d.JobId, d.JobId, writer, r.Rule, r.Reason))));
        }

        return new ConsortiumComplianceReport(consortium, generatedAt, agreement, verification, jobs, epsilon, refusals);
    }

    /// <summary>The report as Markdown.</summary>
    /// <returns>The text.</returns>
    public string ToMarkdown()
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        ConsortiumAgreement a = Agreement.Agreement;
        StringBuilder md = new();
        md.AppendLine(c, $"# Compliance report: consortium {Consortium}").AppendLine();
        md.AppendLine(c, $"Generated {GeneratedAt:yyyy-MM-dd HH:mm:ss} UTC.").AppendLine();
        md.AppendLine("## Agreement").AppendLine();
        md.AppendLine(c, $"- Version {a.Version}, sha256 `{a.Sha256}`, valid {a.Validity.From:yyyy-MM-dd} to {a.Validity.Until:yyyy-MM-dd}.");
        md.AppendLine(c, $"- Signatures: {Agreement.DescribeSignatures()}.");
        md.AppendLine(c, $"- Signed by: {(Agreement.Valid.Count == 0 ? "nobody" : string.Join(", ", Agreement.Valid))}; not signed: {(Agreement.Missing.Count == 0 ? "none" : string.Join(", ", Agreement.Missing))}.");
        md.AppendLine(c, $"- Consortium ledger: {(ConsortiumLedger.IsValid ? "verifies" : "DOES NOT VERIFY")}.").AppendLine();
        md.AppendLine("## Jobs").AppendLine();
        md.AppendLine("| run | job | coordinator's check |").AppendLine("|---|---|---|");
        foreach (ConsortiumJob j in Jobs)
        {
            md.AppendLine(c, $"| {Cell(j.RunId)} | {Cell(j.Name)} | {(j.Accepted == true ? "accepted" : $"refused: {Cell(string.Join(", ", j.Rules.Where(r => !r.Passed).Select(r => r.Rule)))}")} |");
        }

        md.AppendLine().AppendLine("## Clauses exercised").AppendLine();
        md.AppendLine("| clause | evaluated | refused |").AppendLine("|---|---|---|");
        foreach ((string clause, int evaluated, int refused) in ClausesExercised)
        {
            md.AppendLine(c, $"| {clause} | {evaluated} | {refused} |");
        }

        md.AppendLine().AppendLine("## ε per member").AppendLine();
        md.AppendLine("| member | ε recorded for this consortium's jobs |").AppendLine("|---|---|");
        foreach ((string member, double e) in EpsilonByMember)
        {
            md.AppendLine(c, $"| {Cell(member)} | {e.ToString("G6", c)} |");
        }

        md.AppendLine().AppendLine("## Refusals").AppendLine();
        md.AppendLine("| run | job | by | clause | reason |").AppendLine("|---|---|---|---|---|");
        foreach (ConsortiumRefusal r in Refusals)
        {
            md.AppendLine(c, $"| {Cell(r.RunId)} | {Cell(r.Job)} | {Cell(r.By)} | {r.Clause} | {Cell(r.Reason)} |");
        }

        return md.ToString();
    }

    // Ledger text is data from many writers: it must not break out of its table cell.
    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).ReplaceLineEndings(" ");
}
