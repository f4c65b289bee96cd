using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Consortia.Governance.Agreements;
using Consortia.Governance.Audit;
using Consortia.Governance.Roster;
using Consortia.Network.Configuration;

namespace Consortia.Cli.Commands;

/// <summary>
/// <c>consortia agreement init|check|sign|status|render|policy</c>: the consortium agreement as a file (see
/// docs/agreement.md). Members sign its hash with their site keys; each site enforces it through its policy.
/// </summary>
internal static class AgreementCommands
{
    private const int Ok = 0;
    private const int Failed = 1;
    private const int BadInput = 2;

    public static Command Create() => Create(TimeProvider.System);

    internal static Command Create(TimeProvider time)
    {
        Argument<FileInfo> file = new("agreement") { Description = "The agreement file (YAML)." };
        Option<FileInfo?> signatures = new("--signatures") { Description = "The signatures file; default: beside the agreement, x.yaml → x.signatures.json." };

        Option<FileInfo> initOut = new("--out") { Description = "Where to write the new agreement.", DefaultValueFactory = _ => new FileInfo("agreement.yaml") };
        Option<string> initName = new("--name") { Description = "The consortium's name (jobs declare it as their consortium).", DefaultValueFactory = _ => "my-consortium" };
        Option<FileInfo?> initRoster = new("--roster") { Description = "A roster (consortia roster add): its sites and key fingerprints become the members." };
        Command init = new("init", "Writes a new agreement to fill in: every clause with a placeholder, members (and their signing keys) from a roster when given.") { initOut, initName, initRoster };
        init.SetAction(parse => Init(parse.GetRequiredValue(initOut), parse.GetRequiredValue(initName), parse.GetValue(initRoster), time, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        Command check = new("check", "Checks an agreement file (every field, with the line of each error) and verifies every signature against its current text: 0 valid, 1 a signature does not verify (the agreement was altered after signing), 2 invalid file.") { file, signatures };
        check.SetAction(parse => Check(parse.GetRequiredValue(file), parse.GetValue(signatures), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        Option<FileInfo> config = new("--config") { Description = "The node's configuration (site.yaml): its site name and the state folder holding its key (made by 'consortia roster join').", Required = true };
        Command sign = new("sign", "Signs the agreement's hash with this site's long-term key and adds the signature to the signatures file.") { file, config, signatures };
        sign.SetAction(parse => Sign(parse.GetRequiredValue(file), parse.GetRequiredValue(config), parse.GetValue(signatures), time, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        Command status = new("status", "Shows who signed, who is missing, and whether the agreement is in force today: 0 in force, 1 not in force.") { file, signatures };
        status.SetAction(parse => Status(parse.GetRequiredValue(file), parse.GetValue(signatures), time, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        Option<FileInfo> renderOut = new("--out") { Description = "The data use agreement to write: .html (or .htm) or .md.", Required = true };
        Command render = new("render", "Renders the agreement as a data use agreement a lawyer can read: clauses in plain language, each with the technical control that enforces it, and the signatures.") { file, renderOut, signatures };
        render.SetAction(parse => Render(parse.GetRequiredValue(file), parse.GetRequiredValue(renderOut), parse.GetValue(signatures), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        Option<string> site = new("--site") { Description = "The member site the policy is for.", Required = true };
        Option<FileInfo> policyOut = new("--out") { Description = "The site policy file to write.", Required = true };
        Command policy = new("policy", "Writes the site policy that implements the agreement at one member site (tighten it freely: the site enforces both).") { file, site, policyOut };
        policy.SetAction(parse => Policy(parse.GetRequiredValue(file), parse.GetRequiredValue(site), parse.GetRequiredValue(policyOut), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));

        return new Command("agreement", "The consortium agreement as a file: members sign it, each site enforces it, and it renders as a data use agreement.") { init, check, sign, status, render, policy };
    }

    private static int Init(FileInfo output, string name, FileInfo? rosterFile, TimeProvider time, TextWriter stdout, TextWriter stderr) => Guarded(stderr, () =>
    {
        if (output.Exists)
        {
            stderr.WriteLine($"error: {output.FullName} exists; not overwritten");
            return BadInput;
        }

        ConsortiumRoster? roster = rosterFile is null ? null : ConsortiumRoster.Load(rosterFile.FullName);
        DateOnly today = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);
        File.WriteAllText(output.FullName, Template(roster?.Consortium ?? name, roster, today));
        stdout.WriteLine($"wrote {output.FullName}: fill in every clause, then 'consortia agreement check {output.Name}'");
        return Ok;
    });

    private static int Check(FileInfo file, FileInfo? signaturesFile, TextWriter stdout, TextWriter stderr) => Guarded(stderr, () =>
    {
        ConsortiumAgreement agreement = AgreementLoader.Load(file.FullName);
        string signatures = signaturesFile?.FullName ?? AgreementSignatures.DefaultPath(file.FullName);
        AgreementStatus status = AgreementSignatures.Verify(agreement, AgreementSignatures.Load(signatures));
        stdout.WriteLine($"{file.FullName}: agreement '{agreement.Name}' version {agreement.Version} is valid; sha256 {agreement.Sha256}");
        if (status.Invalid.Count > 0)
        {
            foreach (string problem in status.Invalid)
            {
                stderr.WriteLine($"error: {signatures}: signature of {problem}");
            }

            return Failed;
        }

        stdout.WriteLine($"{status.Valid.Count} signature(s) verify ({string.Join(", ", status.Valid)}); quorum {agreement.RequiredSignatures} of {agreement.Members.Count}");
        return Ok;
    });

    private static int Sign(FileInfo file, FileInfo configFile, FileInfo? signaturesFile, TimeProvider time, TextWriter stdout, TextWriter stderr) => Guarded(stderr, () =>
    {
        NodeConfig node = NodeConfig.Load(configFile.FullName);
        string keyFile = Path.Combine(node.State, "ledger.key.pem");
        if (!File.Exists(keyFile))
        {
            stderr.WriteLine($"error: {keyFile}: this site has no signing key yet; run 'consortia roster join --config {configFile.Name}' first (it creates the key whose fingerprint the agreement lists)");
            return BadInput;
        }

        ConsortiumAgreement agreement = AgreementLoader.Load(file.FullName);
        string signatures = signaturesFile?.FullName ?? AgreementSignatures.DefaultPath(file.FullName);
        using EcdsaLedgerSigner key = EcdsaLedgerSigner.FromPem(File.ReadAllText(keyFile));
        AgreementSignature signature = AgreementSignatures.Sign(agreement, node.Site, key, time.GetUtcNow());
        IReadOnlyList<AgreementSignature> all = AgreementSignatures.With(AgreementSignatures.Load(signatures), signature);
        File.WriteAllText(signatures, AgreementSignatures.ToJson(agreement, all));
        AgreementStatus status = AgreementSignatures.Verify(agreement, all);
        stdout.WriteLine($"site '{node.Site}' signed agreement '{agreement.Name}' version {agreement.Version} (sha256 {agreement.Sha256}) with key {key.PublicKey.Fingerprint}");
        stdout.WriteLine(status.DescribeSignatures());
        return Ok;
    });

    private static int Status(FileInfo file, FileInfo? signaturesFile, TimeProvider time, TextWriter stdout, TextWriter stderr) => Guarded(stderr, () =>
    {
        ConsortiumAgreement a = AgreementLoader.Load(file.FullName);
        AgreementStatus status = AgreementSignatures.Verify(a, AgreementSignatures.Load(signaturesFile?.FullName ?? AgreementSignatures.DefaultPath(file.FullName)));
        DateTimeOffset now = time.GetUtcNow();
        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder text = new();
        text.AppendLine(c, $"agreement '{a.Name}' version {a.Version}");
        text.AppendLine(c, $"  sha256    {a.Sha256}");
        text.AppendLine(c, $"  valid     {a.Validity.From:yyyy-MM-dd} to {a.Validity.Until:yyyy-MM-dd}");
        text.AppendLine(c, $"  quorum    {a.RequiredSignatures} of {a.Members.Count} members");
        text.AppendLine(c, $"  signed    {(status.Valid.Count == 0 ? "-" : string.Join(", ", status.Valid))}");
        text.AppendLine(c, $"  missing   {(status.Missing.Count == 0 ? "-" : string.Join(", ", status.Missing))}");
        foreach (string problem in status.Invalid)
        {
            text.AppendLine(c, $"  INVALID   {problem}");
        }

        bool inForce = status.InForce(now);
        text.AppendLine(inForce
            ? "in force"
            : $"NOT in force: {(status.QuorumSigned ? AgreementEvaluator.ValidityRule(a, now).Reason : status.DescribeSignatures())}");
        stdout.Write(text.ToString());
        return inForce ? Ok : Failed;
    });

    private static int Render(FileInfo file, FileInfo output, FileInfo? signaturesFile, TextWriter stdout, TextWriter stderr) => Guarded(stderr, () =>
    {
        string extension = output.Extension.ToLowerInvariant();
        if (extension is not (".html" or ".htm" or ".md"))
        {
            stderr.WriteLine($"error: --out {output.Name}: expected a file ending in .html, .htm or .md");
            return BadInput;
        }

        ConsortiumAgreement agreement = AgreementLoader.Load(file.FullName);
        string signatures = signaturesFile?.FullName ?? AgreementSignatures.DefaultPath(file.FullName);
        AgreementStatus? status = File.Exists(signatures) ? AgreementSignatures.Verify(agreement, AgreementSignatures.Load(signatures)) : null;
        File.WriteAllText(output.FullName, extension == ".md" ? DuaRenderer.Markdown(agreement, status) : DuaRenderer.Html(agreement, status));
        stdout.WriteLine($"wrote {output.FullName}: the data use agreement of '{agreement.Name}' version {agreement.Version}");
        return Ok;
    });

    private static int Policy(FileInfo file, string site, FileInfo output, TextWriter stdout, TextWriter stderr) => Guarded(stderr, () =>
    {
        ConsortiumAgreement agreement = AgreementLoader.Load(file.FullName);
        string folder = output.DirectoryName ?? ".";
        Directory.CreateDirectory(folder);
        File.WriteAllText(output.FullName, AgreementPolicy.Generate(agreement, site, Path.GetRelativePath(folder, file.FullName)));
        stdout.WriteLine($"wrote {output.FullName}: the site policy of '{site}' implementing '{agreement.Name}' version {agreement.Version}; name it in the node's site.yaml (policy:)");
        return Ok;
    });

    /// <summary>A complete agreement to fill in; with a roster, its members and key fingerprints are real.</summary>
    private static string Template(string name, ConsortiumRoster? roster, DateOnly today)
    {
        CultureInfo c = CultureInfo.InvariantCulture;
        StringBuilder y = new();
        y.AppendLine("# Consortium agreement (format: docs/agreement.md). Replace every TODO, then run 'consortia agreement check'.");
        y.AppendLine(c, $"name: {name}");
        y.AppendLine("version: 1");
        y.AppendLine();
        y.AppendLine("purpose:");
        y.AppendLine("  text: TODO the purpose in plain language");
        y.AppendLine("  codes: [todo-purpose-code]   # jobs declare one of these (purpose: in the job file)");
        y.AppendLine();
        y.AppendLine("members:");
        IEnumerable<(string Site, string Key)> members = roster is null
            ? [("todo-site", "TODO the fingerprint of the site's key ('consortia roster join', then 'consortia roster show')")]
            : roster.Members.Select(m => (m.Site, m.PublicKey.Fingerprint));
        foreach ((string site, string key) in members)
        {
            y.AppendLine(c, $"  - organisation: TODO the legal entity of site {site}");
            y.AppendLine(c, $"    site: {site}");
            y.AppendLine("    contact: TODO the data protection officer's address");
            y.AppendLine("    jurisdiction: TODO e.g. EU-DE or US-OH");
            y.AppendLine("    legal_basis:");
            y.AppendLine("      gdpr: TODO e.g. Art. 6(1)(e); Art. 9(2)(j)   # and/or hipaa:, other:");
            y.AppendLine(c, $"    key: \"{key}\"");
        }

        y.AppendLine();
        y.AppendLine("data_categories:");
        y.AppendLine("  - name: TODO-category");
        y.AppendLine("    description: TODO what it holds");
        y.AppendLine("    columns: [TODO-column]");
        y.AppendLine();
        y.AppendLine("training:");
        y.AppendLine("  submitters: [TODO@example.org]");
        y.AppendLine("  tasks: [binary-classification]   # binary-classification, survival");
        y.AppendLine("  models: [logistic]                # logistic, mlp, cox");
        y.AppendLine("  strategies: [fedavg]");
        y.AppendLine();
        y.AppendLine("protections:");
        y.AppendLine("  secure_aggregation: true");
        y.AppendLine("  min_sites_per_aggregate: 3");
        y.AppendLine("  differential_privacy:");
        y.AppendLine("    required: true");
        y.AppendLine("    mode: client-level");
        y.AppendLine("    epsilon_per_job: 4.0");
        y.AppendLine("    epsilon_per_member_lifetime: 10.0");
        y.AppendLine("    delta: 1.0e-5");
        y.AppendLine();
        y.AppendLine("outputs:");
        y.AppendLine("  model_recipients: [members]");
        y.AppendLine("  min_cell_count: 10");
        y.AppendLine("  publication: TODO the publication terms");
        y.AppendLine();
        y.AppendLine("validity:");
        y.AppendLine(c, $"  from: {today:yyyy-MM-dd}");
        y.AppendLine(c, $"  until: {today.AddYears(2):yyyy-MM-dd}");
        y.AppendLine();
        y.AppendLine("exit:");
        y.AppendLine("  notice_days: 90");
        y.AppendLine("  models: TODO what happens to models trained with a leaving member's data");
        y.AppendLine();
        y.AppendLine("quorum: all");
        return y.ToString();
    }

    private static int Guarded(TextWriter stderr, Func<int> action)
    {
        try
        {
            return action();
        }
        catch (Exception e) when (e is AgreementFileException or RosterException or ConfigurationException or CryptographicException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"error: {e.Message}");
            return BadInput;
        }
    }
}
