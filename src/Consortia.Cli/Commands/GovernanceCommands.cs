using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Consortia.Federation.Jobs;
using Consortia.Governance.Agreements;
using Consortia.Governance.Audit;
using Consortia.Governance.Policies;
using Consortia.Governance.Reports;
using Consortia.Governance.Roster;
using Consortia.Governance.Verification;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia policy check</c>, <c>consortia audit verify</c>, <c>consortia audit cross-check</c> and
/// <c>consortia report compliance</c>: thin wrappers over Consortia.Governance.
/// </summary>
/// <remarks>Exit codes: 0 = accepted / valid / consistent, 1 = refused / invalid / inconsistent, 2 = bad input (files, options).</remarks>
internal static class GovernanceCommands
{
    private const int Ok = 0;
    private const int Failed = 1;
    private const int BadInput = 2;

    public static IEnumerable<Command> Create() => Create(TimeProvider.System);

    internal static IEnumerable<Command> Create(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        return [CreatePolicy(timeProvider), CreateAudit(), CreateReport(timeProvider)];
    }

    private static Command CreatePolicy(TimeProvider timeProvider)
    {
        Option<string> policy = new("--policy") { Description = "The site policy file (YAML; see docs/policy.md). A missing file refuses everything.", Required = true };
        Option<string?> at = new("--at") { Description = "Evaluate at this instant (ISO 8601, e.g. 2025-01-15T20:00:00Z) instead of now; used for the schedule rule." };
        Option<double> spent = new("--epsilon-spent") { Description = "ε already spent at this site by earlier jobs (default 0), for the lifetime budget rule." };
        Argument<string> job = new("job") { Description = "The job file (YAML)." };
        Command check = new("check", "Checks a job file against a site policy and explains the decision rule by rule (exit 0 accepted, 1 refused, 2 bad input).")
        {
            policy, at, spent, job,
        };
        check.SetAction(parse => PolicyCheck(
            parse.GetRequiredValue(policy), parse.GetRequiredValue(job), parse.GetValue(at), parse.GetValue(spent), timeProvider,
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        return new Command("policy", "Site privacy policies.") { check };
    }

    private static Command CreateAudit()
    {
        Option<string> ledger = new("--ledger") { Description = "The ledger file (SQLite).", Required = true };
        Option<string?> publicKey = new("--public-key") { Description = "The writer's public key (PEM 'PUBLIC KEY'), obtained out of band." };
        Option<string?> certificate = new("--certificate") { Description = "The writer's certificate (PEM); its subject key is used." };
        Option<string?> roster = new("--roster")
        {
            Description = "A consortium roster (JSON, e.g. a node's accepted roster.json): the site ledger is checked against the key the roster lists for its writer, so a ledger re-signed under another key is reported.",
        };
        Option<string?> enrollment = new("--enrollment")
        {
            Description = "A coordinator home: the site ledger is checked against the roster key recorded when its writer enrolled (or last renewed); with --roster too, against both, and a key changed without renewal is reported.",
        };
        Command verify = new("verify", "Re-checks every hash, signature and sequence number of a ledger; exits 1 naming the first bad entry.")
        {
            ledger, publicKey, certificate, roster, enrollment,
        };
        verify.SetAction(parse => AuditVerify(
            parse.GetRequiredValue(ledger), parse.GetValue(publicKey), parse.GetValue(certificate), parse.GetValue(roster), parse.GetValue(enrollment),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        Option<string> coordinator = new("--coordinator-ledger") { Description = "The coordinator's ledger.", Required = true };
        Option<string> site = new("--site-ledger") { Description = "One site's ledger.", Required = true };
        Command crossCheck = new("cross-check", "Checks that the update hashes a site recorded sending match those the coordinator recorded receiving from it, both ways.")
        {
            coordinator, site,
        };
        crossCheck.SetAction(parse => AuditCrossCheck(
            parse.GetRequiredValue(coordinator), parse.GetRequiredValue(site), parse.InvocationConfiguration.Output));

        return new Command("audit", "Tamper-evident audit ledgers.") { verify, crossCheck, AuditShowCommand.Create() };
    }

    private static Command CreateReport(TimeProvider timeProvider)
    {
        Option<string> ledgers = new("--ledgers") { Description = "A directory holding the coordinator's ledger and the site ledgers.", Required = true };
        Option<string> jobFile = new("--job-file") { Description = "The job manifest (YAML) the report is about.", Required = true };
        Option<string?> output = new("--out") { Description = "Write the report here: .html for HTML, .md for Markdown. Default: Markdown on standard output." };
        Option<string?> jobId = new("--job-id") { Description = "The job id used in the ledgers (default: the manifest's name)." };
        Command compliance = new("compliance", "Builds a per-job compliance report (exit 0 when every ledger verifies and agrees, 1 otherwise, 2 bad input).")
        {
            ledgers, jobFile, output, jobId,
        };
        compliance.SetAction(parse => ReportCompliance(
            parse.GetRequiredValue(ledgers), parse.GetRequiredValue(jobFile), parse.GetValue(output), parse.GetValue(jobId), timeProvider,
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        Option<string> config = new("--config") { Description = "The coordinator's configuration (coordinator.yaml) that hosts the consortium.", Required = true };
        Option<string> name = new("--consortium") { Description = "The consortium (a name under consortia: in the configuration).", Required = true };
        Option<string?> siteLedgers = new("--site-ledgers") { Description = "A directory of site ledgers: their refusals and ε charges for the consortium's jobs are included." };
        Option<string?> consortiumOut = new("--out") { Description = "Write the Markdown report here. Default: standard output." };
        Command consortium = new("consortium", "Builds a consortium's compliance report: agreement and signatures, jobs, clauses exercised, ε per member, every refusal (exit 0 when its ledger verifies, 1 otherwise, 2 bad input).")
        {
            config, name, siteLedgers, consortiumOut,
        };
        consortium.SetAction(parse => ReportConsortium(
            parse.GetRequiredValue(config), parse.GetRequiredValue(name), parse.GetValue(siteLedgers), parse.GetValue(consortiumOut), timeProvider,
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        return new Command("report", "Reports.") { compliance, consortium };
    }

    private static int PolicyCheck(string policyPath, string jobPath, string? at, double spent, TimeProvider timeProvider, TextWriter stdout, TextWriter stderr)
    {
        DateTimeOffset now = timeProvider.GetUtcNow();
        if (at is not null && !DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out now))
        {
            stderr.WriteLine($"error: --at: expected an ISO 8601 instant such as 2025-01-15T20:00:00Z, got '{at}'");
            return BadInput;
        }

        if (!(spent >= 0) || !double.IsFinite(spent))
        {
            stderr.WriteLine("error: --epsilon-spent: expected a non-negative number");
            return BadInput;
        }

        PolicyEvaluator evaluator;
        JobDescriptor job;
        try
        {
            evaluator = PolicyEvaluator.FromFile(policyPath);

            // The job as the engine reads it and a site evaluates it: the same verdict as a simulated or deployed site.
            job = JobFile.Load(jobPath).Describe();
        }
        catch (PolicyFileException error)
        {
            stderr.WriteLine($"error: {error.Message}");
            return BadInput;
        }
        catch (JobFileException error)
        {
            stderr.WriteLine($"error: {error.Message}");
            return BadInput;
        }

        PolicyDecision decision = evaluator.Evaluate(job, now, spent);
        if (evaluator.Policy is { Agreement: { } reference } sitePolicy)
        {
            // The site enforces its agreement beside its policy (docs/agreement.md): report both, as the site decides.
            (PolicyDecision agreement, _) = AgreementEvaluator.Evaluate(reference, sitePolicy.Site ?? string.Empty, job, sitePolicy, now, spent);
            decision = new PolicyDecision(decision.Accepted && agreement.Accepted, [.. decision.Rules, .. agreement.Rules], decision.PolicyVersion, decision.PolicySha256);
        }

        stdout.WriteLine(evaluator.Policy is { } p
            ? $"Policy {policyPath}: version {p.Version.ToString(CultureInfo.InvariantCulture)}{(p.Site is null ? string.Empty : $", site {p.Site}")}, sha256 {p.Sha256}"
            : $"Policy {policyPath}: none");
        stdout.WriteLine($"Job {jobPath}: {job.JobId}");
        stdout.WriteLine($"Evaluated at {now.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)}");
        stdout.WriteLine();
        int width = decision.Rules.Max(r => r.Rule.Length);
        foreach (RuleResult rule in decision.Rules)
        {
            stdout.WriteLine($"  {(rule.Passed ? "pass" : "FAIL")}  {rule.Rule.PadRight(width)}  {rule.Reason}");
        }

        stdout.WriteLine();
        List<string> failed = decision.FailedRules.Select(r => r.Rule).ToList();
        stdout.WriteLine(decision.Accepted
            ? "Decision: ACCEPTED"
            : $"Decision: REFUSED ({failed.Count.ToString(CultureInfo.InvariantCulture)} rule(s) failed: {string.Join(", ", failed)})");
        return decision.Accepted ? Ok : Failed;
    }

    private static int AuditVerify(string ledgerPath, string? publicKeyPath, string? certificatePath, string? rosterPath, string? enrollmentHome, TextWriter stdout, TextWriter stderr)
    {
        if (new[] { publicKeyPath, certificatePath, rosterPath ?? enrollmentHome }.Count(o => o is not null) > 1)
        {
            stderr.WriteLine("error: give one of --public-key, --certificate or --roster/--enrollment, not two of them");
            return BadInput;
        }

        if (enrollmentHome is not null)
        {
            return EnrollmentKeyVerification.Verify(ledgerPath, enrollmentHome, rosterPath, stdout, stderr);
        }

        if (rosterPath is not null)
        {
            return AuditVerifyAgainstRoster(ledgerPath, rosterPath, stdout, stderr);
        }

        LedgerPublicKey? key = null;
        if ((publicKeyPath ?? certificatePath) is { } keyPath)
        {
            string option = publicKeyPath is not null ? "--public-key" : "--certificate";
            try
            {
                key = LedgerPublicKey.FromPem(File.ReadAllText(keyPath));
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException or CryptographicException or FormatException)
            {
                stderr.WriteLine($"error: {option} {keyPath}: {error.Message}");
                return BadInput;
            }
        }

        LedgerVerification result = LedgerVerifier.Verify(ledgerPath, key);
        string keySource = result.KeySuppliedExternally
            ? "the supplied key"
            : "the key in the ledger header; supply --public-key or --certificate to check the writer's identity";
        if (!result.IsValid)
        {
            LedgerProblem problem = result.Problem!; // an invalid result always carries its problem.
            string where = problem.Position is { } position
                ? $"entry {position.ToString(CultureInfo.InvariantCulture)}" + (problem.Sequence is { } s && s != position ? $" (stored sequence {s.ToString(CultureInfo.InvariantCulture)})" : string.Empty)
                : "header";
            stdout.WriteLine($"INVALID: {ledgerPath}: {where}: {problem.Reason}");
            stdout.WriteLine($"  {result.EntryCount.ToString(CultureInfo.InvariantCulture)} entries verified before it");
            return Failed;
        }

        stdout.WriteLine($"VALID: {ledgerPath}");
        stdout.WriteLine($"  writer:    {result.WriterId} ({result.Role?.ToString().ToLowerInvariant()})");
        stdout.WriteLine($"  entries:   {result.EntryCount.ToString(CultureInfo.InvariantCulture)}");
        stdout.WriteLine($"  head hash: {result.HeadHash}");
        stdout.WriteLine($"  key:       {result.KeyFingerprint}, checked against {keySource}");
        return Ok;
    }

    /// <summary>Verifies a site ledger against the key its writer holds in the roster, never the key beside or inside the ledger.</summary>
    private static int AuditVerifyAgainstRoster(string ledgerPath, string rosterPath, TextWriter stdout, TextWriter stderr)
    {
        ConsortiumRoster roster;
        try
        {
            roster = ConsortiumRoster.Load(rosterPath);
        }
        catch (Exception error) when (error is RosterException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: --roster {error.Message}");
            return BadInput;
        }

        // The header names the writer; its key is then taken from the roster alone.
        LedgerVerification header = LedgerVerifier.Verify(ledgerPath);
        if (header.WriterId is null)
        {
            stdout.WriteLine($"INVALID: {ledgerPath}: {header.Problem?.Reason ?? "no writer in the header"}");
            return Failed;
        }

        if (roster.Find(header.WriterId) is not { } member)
        {
            stdout.WriteLine($"INVALID: {ledgerPath}: its writer '{header.WriterId}' is not a member of the roster of '{roster.Consortium}' ({rosterPath}, sha256 {roster.Sha256})");
            return Failed;
        }

        LedgerVerification result = LedgerVerifier.Verify(ledgerPath, member.PublicKey);
        if (!result.IsValid)
        {
            stdout.WriteLine($"INVALID: {ledgerPath}: {result.Problem!.Reason} (roster key of '{member.Site}': {member.PublicKey.Fingerprint}; a ledger re-signed under another key fails here)"); // an invalid result always carries its problem.
            stdout.WriteLine($"  {result.EntryCount.ToString(CultureInfo.InvariantCulture)} entries verified before it");
            return Failed;
        }

        stdout.WriteLine($"VALID: {ledgerPath}");
        stdout.WriteLine($"  writer:    {result.WriterId} ({result.Role?.ToString().ToLowerInvariant()})");
        stdout.WriteLine($"  entries:   {result.EntryCount.ToString(CultureInfo.InvariantCulture)}");
        stdout.WriteLine($"  head hash: {result.HeadHash}");
        stdout.WriteLine($"  key:       {result.KeyFingerprint}, checked against the roster of '{roster.Consortium}' (sha256 {roster.Sha256})");
        return Ok;
    }

    private static int AuditCrossCheck(string coordinatorPath, string sitePath, TextWriter stdout)
    {
        CrossCheckResult result = LedgerVerifier.CrossCheck(coordinatorPath, sitePath);
        if (result.Consistent)
        {
            stdout.WriteLine($"CONSISTENT: site '{result.SiteId}': {result.MatchedUpdates.ToString(CultureInfo.InvariantCulture)} update hash(es) recorded by both the site and the coordinator");
            return Ok;
        }

        stdout.WriteLine($"INCONSISTENT: site '{result.SiteId}': {result.Findings.Count.ToString(CultureInfo.InvariantCulture)} finding(s)");
        foreach (CrossCheckFinding finding in result.Findings)
        {
            stdout.WriteLine($"  {finding.Kind}: {finding.Description}");
        }

        return Failed;
    }

    private static int ReportConsortium(string configPath, string name, string? siteLedgerDirectory, string? outPath, TimeProvider timeProvider, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            Network.Configuration.CoordinatorConfig config = Network.Configuration.CoordinatorConfig.Load(configPath);
            Network.Configuration.ConsortiumConfig? hosted = config.Consortia.FirstOrDefault(c => c.Name == name);
            if (hosted is null)
            {
                stderr.WriteLine($"error: --consortium: {configPath} hosts no consortium '{name}' (it hosts: {(config.Consortia.Count == 0 ? "none" : string.Join(", ", config.Consortia.Select(c => c.Name)))})");
                return BadInput;
            }

            if (siteLedgerDirectory is not null && !Directory.Exists(siteLedgerDirectory))
            {
                stderr.WriteLine($"error: --site-ledgers: directory '{siteLedgerDirectory}' does not exist");
                return BadInput;
            }

            (AgreementStatus? status, string? problem) = new AgreementReference(hosted.Agreement, hosted.Signatures!).Open();
            if (status is null)
            {
                stderr.WriteLine($"error: {problem}");
                return BadInput;
            }

            string[] sites = siteLedgerDirectory is null ? [] : [.. Directory.GetFiles(siteLedgerDirectory).Order(StringComparer.Ordinal).Where(LedgerReader.IsLedgerFile)];
            ConsortiumComplianceReport report = ConsortiumComplianceReport.Build(name, status, hosted.Ledger!, sites, timeProvider.GetUtcNow());
            string text = report.ToMarkdown();
            if (outPath is null)
            {
                stdout.Write(text);
            }
            else
            {
                File.WriteAllText(outPath, text);
                stdout.WriteLine($"wrote {outPath}: {report.Jobs.Count.ToString(CultureInfo.InvariantCulture)} jobs, {report.Refusals.Count.ToString(CultureInfo.InvariantCulture)} refusals");
            }

            return report.ConsortiumLedger.IsValid ? Ok : Failed;
        }
        catch (Exception e) when (e is Network.Configuration.ConfigurationException or LedgerFormatException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return BadInput;
        }
    }

    private static int ReportCompliance(string ledgerDirectory, string jobPath, string? outPath, string? jobId, TimeProvider timeProvider, TextWriter stdout, TextWriter stderr)
    {
        if (!Directory.Exists(ledgerDirectory))
        {
            stderr.WriteLine($"error: --ledgers: directory '{ledgerDirectory}' does not exist");
            return BadInput;
        }

        bool html = false;
        if (outPath is not null)
        {
            string extension = Path.GetExtension(outPath).ToLowerInvariant();
            if (extension is not (".html" or ".htm" or ".md" or ".markdown"))
            {
                stderr.WriteLine($"error: --out: expected a file ending in .html or .md, got '{outPath}'");
                return BadInput;
            }

            html = extension is ".html" or ".htm";
        }

        List<(string Path, LedgerVerification Verification)> ledgers = Directory.GetFiles(ledgerDirectory)
            .Order(StringComparer.Ordinal)
            .Where(LedgerReader.IsLedgerFile)
            .Select(p => (p, LedgerVerifier.Verify(p)))
            .ToList();
        List<string> coordinators = ledgers.Where(l => l.Verification.Role == LedgerRole.Coordinator).Select(l => l.Path).ToList();
        if (coordinators.Count != 1)
        {
            stderr.WriteLine($"error: --ledgers: expected exactly one coordinator ledger in '{ledgerDirectory}', found {coordinators.Count.ToString(CultureInfo.InvariantCulture)}" +
                (coordinators.Count > 1 ? $": {string.Join(", ", coordinators.Select(Path.GetFileName))}" : string.Empty));
            return BadInput;
        }

        string manifest;
        ComplianceReport report;
        try
        {
            manifest = File.ReadAllText(jobPath);
            JobDescriptor job = JobFile.Parse(manifest, jobPath).Describe();
            report = ComplianceReportBuilder.Build(new ComplianceReportInput(
                manifest, Path.GetFileName(jobPath), job, coordinators[0], ledgers.Select(l => l.Path).Where(p => p != coordinators[0]).ToList(), timeProvider.GetUtcNow())
            {
                JobId = jobId,
            });
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: --job-file {jobPath}: {error.Message}");
            return BadInput;
        }
        catch (JobFileException error)
        {
            stderr.WriteLine($"error: {error.Message}");
            return BadInput;
        }

        string text = html ? ComplianceReportRenderer.RenderHtml(report) : ComplianceReportRenderer.RenderMarkdown(report);
        if (outPath is null)
        {
            stdout.Write(text);
        }
        else
        {
            File.WriteAllText(outPath, text);
            stdout.WriteLine($"Compliance report for job '{report.JobId}' written to {outPath}");
        }

        bool clean = report.AllLedgersValid && report.CrossChecksConsistent && report.ManifestMatches;
        if (!clean)
        {
            stderr.WriteLine("warning: the report records integrity problems (invalid ledgers, cross-check findings or a manifest hash mismatch)");
        }

        return clean ? Ok : Failed;
    }
}
