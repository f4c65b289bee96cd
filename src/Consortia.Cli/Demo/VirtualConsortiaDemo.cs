using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Consortia.Cli.Deployment;
using Consortia.Federation.Jobs;
using Consortia.Governance.Agreements;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Reports;
using Consortia.Governance.Roster;
using Consortia.Network.Coordinator;
using Grpc.Core;

namespace Consortia.Cli.Demo;

/// <summary>
/// <c>consortia demo virtual-consortia</c>: one coordinator process on loopback hosting two consortia — cardiology on the
/// heart-disease data, oncology on TCGA-BRCA, the Cleveland Clinic in both — with one node process per hospital, set up
/// the way docs/deployment.md and docs/agreement.md tell operators to (tokens, enrollment, roster join and add, agreements
/// signed by their members, policies generated from them). It then runs one job per consortium at the same time, lets a
/// new hospital join cardiology (invitation token, roster, a new agreement version signed by every member) and take part in
/// cardiology's next job, submits a job the cardiology agreement does not allow, and alters one byte of the signed
/// agreement at every member. Everything it claims is checked from the ledgers and reported.
/// </summary>
internal sealed partial class VirtualConsortiaDemo
{
    /// <summary>The cardiology consortium (examples/virtual-consortia/cardiology-agreement.yaml).</summary>
    public const string Cardiology = "heart-consortium";

    /// <summary>The oncology consortium (examples/virtual-consortia/oncology-agreement.yaml).</summary>
    public const string Oncology = "tcga-brca-consortium";

    /// <summary>The hospital that joins cardiology during the demonstration.</summary>
    public const string Joiner = "va";

    /// <summary>The clause the refused cardiology job breaks (its strategy is not one the agreement allows).</summary>
    public const string BrokenClause = AgreementRules.Strategy;

    private const string BreachStrategy = "median";

    /// <summary>The hospitals at the start: node name, its site in the heart-disease data, its region in TCGA-BRCA.</summary>
    private static readonly (string Site, string? Heart, string? Tcga)[] s_founders =
    [
        ("cleveland", "cleveland", "Midwest"), // one hospital, one node, both consortia
        ("hungarian", "hungarian", null),
        ("switzerland", "switzerland", null),
        ("northeast", null, "Northeast"),
        ("south", null, "South"),
        ("west", null, "West"),
    ];

    /// <summary>Example member sites whose node has another name here: the Cleveland Clinic's one node serves both consortia.</summary>
    private static readonly Dictionary<string, string> s_renamed = new(StringComparer.Ordinal) { ["Midwest"] = "cleveland" };

    private static readonly TimeSpan s_poll = TimeSpan.FromMilliseconds(200);

    private readonly string _source;
    private readonly string _out;
    private readonly int _rounds;
    private readonly TimeSpan _jobTimeout;
    private readonly IProgress<string>? _progress;
    private readonly LocalConsortium _c;
    private readonly Dictionary<string, List<JobOverview>> _jobs = new(StringComparer.Ordinal) { [Cardiology] = [], [Oncology] = [] };
    private JobAdminClient? _admin;

    private VirtualConsortiaDemo(LocalConsortium consortium, string source, string output, int rounds, TimeSpan jobTimeout, IProgress<string>? progress)
    {
        _c = consortium;
        _source = source;
        _out = output;
        _rounds = rounds;
        _jobTimeout = jobTimeout;
        _progress = progress;
    }

    /// <summary>Runs the demonstration and writes its outputs into <paramref name="output"/>.</summary>
    /// <param name="source">The repository folder holding <c>data/</c> and <c>examples/</c>.</param>
    /// <param name="output">Receives each consortium's agreement, DUA and compliance report, the ledgers and <c>summary.json</c>.</param>
    /// <param name="rounds">Rounds per job (small keeps it short).</param>
    /// <param name="jobTimeout">How long one job (or the two concurrent ones) may take.</param>
    /// <param name="progress">Receives a line per step.</param>
    /// <param name="cancellationToken">Stops it (every process is killed).</param>
    /// <returns>The summary, with its checks.</returns>
    /// <exception cref="LocalDeploymentException">A step failed (the message says which, with the processes' output).</exception>
    public static async Task<DemoSummary> RunAsync(string source, string output, int rounds, TimeSpan jobTimeout, IProgress<string>? progress, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(output);
        LocalConsortiumOptions options = new()
        {
            Root = Path.Combine(Path.GetTempPath(), "consortia-demo-" + Guid.NewGuid().ToString("N")),
            ConsortiumName = "virtual-consortia",
            DeleteRootOnDispose = true,
            CommandTimeout = TimeSpan.FromSeconds(120), // a busy two-core machine starts .NET processes slowly
        };
        await using LocalConsortium consortium = await LocalConsortium.ProvisionAsync(options, cancellationToken).ConfigureAwait(false);
        using CancellationTokenRegistration killOnCancel = cancellationToken.Register(consortium.Kill);
        VirtualConsortiaDemo demo = new(consortium, Path.GetFullPath(source), Path.GetFullPath(output), rounds, jobTimeout, progress);
        try
        {
            return await demo.RunCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or AgreementFileException or RosterException or IOException)
        {
            throw new LocalDeploymentException(e.Message, e);
        }
        catch (RpcException e)
        {
            throw new LocalDeploymentException($"the coordinator's admin API refused or failed ({e.StatusCode}): {e.Status.Detail}", e);
        }
        finally
        {
            demo._admin?.Dispose();
        }
    }

    private async Task<DemoSummary> RunCoreAsync(CancellationToken ct)
    {
        // 1. The founders: each joins the roster of its consortia with its own key, the coordinator's operator adds them.
        foreach ((string site, _, _) in s_founders)
        {
            await _c.WriteSiteConfigAsync(Site(site), ct).ConfigureAwait(false);
        }

        await JoinRosterAsync(Cardiology, [.. Members(Cardiology)], ct).ConfigureAwait(false);
        await JoinRosterAsync(Oncology, [.. Members(Oncology)], ct).ConfigureAwait(false);

        // 2. The agreements, from the examples, with this demonstration's members and their keys; every member signs.
        await AgreeAsync(Cardiology, version: 1, ct).ConfigureAwait(false);
        await AgreeAsync(Oncology, version: 1, ct).ConfigureAwait(false);

        // 3. The coordinator hosting both; the hospitals enroll with their tokens and start their nodes.
        _c.HostedConsortiaYaml = string.Join('\n', new[] { Cardiology, Oncology }.SelectMany(name => new[]
        {
            $"  - name: {name}",
            $"    roster: {Shared(name, "roster.json")}",
            $"    agreement: {Shared(name, "agreement.yaml")}",
            $"    ledger: {Shared(name, "ledger.db")}",
        }).Prepend("consortia:"));
        await _c.StartCoordinatorAsync("60s", ct).ConfigureAwait(false);
        Say($"coordinator ready (pid {_c.Coordinator?.Id}), hosting {Cardiology} and {Oncology}");
        foreach ((string site, _, _) in s_founders)
        {
            await _c.EnrollAsync(Site(site), ct).ConfigureAwait(false);
        }

        Say($"enrolled {s_founders.Length} hospitals with one-time tokens");
        foreach ((string site, _, _) in s_founders)
        {
            await _c.StartNodeAsync(Site(site), ct).ConfigureAwait(false);
        }

        Say($"{s_founders.Length} node processes connected");
        _admin = _c.ConnectAdmin();

        // 4. One job per consortium, at the same time.
        JobOverview heart = await SubmitAsync(Cardiology, HeartJob("heart-disease-fedavg"), ct).ConfigureAwait(false);
        JobOverview brca = await SubmitAsync(Oncology, BrcaJob(), ct).ConfigureAwait(false);
        await WaitAsync([heart.JobId, brca.JobId], ct).ConfigureAwait(false);

        // 5. A new hospital joins cardiology: invitation, enrollment, roster, a new agreement version signed by all.
        await JoinAsync(ct).ConfigureAwait(false);

        // 6. A job outside the cardiology agreement: refused by the coordinator, naming the clause.
        JobOverview breach = await SubmitAsync(Cardiology, JobOverrides.Apply(HeartJob("heart-disease-median"), [new("strategy.kind", BreachStrategy)]), ct).ConfigureAwait(false);
        await WaitAsync([breach.JobId], ct).ConfigureAwait(false);

        // 7. Cardiology's next job: the new member takes part.
        JobOverview next = await SubmitAsync(Cardiology, HeartJob("heart-disease-fedavg-after-join"), ct).ConfigureAwait(false);
        await WaitAsync([next.JobId], ct).ConfigureAwait(false);

        // 8. One byte of the signed agreement changed at every member: 'agreement check' fails, every node refuses.
        (int checkExit, string checkOutput) = await AlterAgreementAtMembersAsync(ct).ConfigureAwait(false);
        JobOverview altered = await SubmitAsync(Cardiology, HeartJob("heart-disease-fedavg-altered-agreement"), ct).ConfigureAwait(false);
        await WaitAsync([altered.JobId], ct).ConfigureAwait(false);

        await _c.StopAsync().ConfigureAwait(false);
        Say("stopped every process; reading the ledgers");
        DemoConsortium cardiology = Collect(Cardiology);
        DemoConsortium oncology = Collect(Oncology);
        IReadOnlyList<DemoCheck> checks = Checks(cardiology, oncology, (heart.JobId, brca.JobId, breach.JobId, next.JobId, altered.JobId), checkExit, checkOutput);
        DemoSummary summary = new([cardiology, oncology], checks, _out);
        await File.WriteAllTextAsync(Path.Combine(_out, "summary.json"), summary.ToJson(), ct).ConfigureAwait(false);
        return summary;
    }

    /// <summary>Each founder's site: one membership per consortium it is in, each with its policy, data and agreement copy.</summary>
    private LocalSite Site(string site)
    {
        List<LocalMembership> memberships = [];
        (string Site, string? Heart, string? Tcga) founder = s_founders.FirstOrDefault(f => f.Site == site);
        string? heart = site == Joiner ? Joiner : founder.Heart;
        if (heart is not null)
        {
            memberships.Add(Membership(site, Cardiology, HeartData, heart));
        }

        if (founder.Tcga is { } region)
        {
            memberships.Add(Membership(site, Oncology, BrcaData, region));
        }

        return new LocalSite(site, memberships[0].DataPath, memberships[0].DataSite) { Memberships = memberships };
    }

    private LocalMembership Membership(string site, string consortium, string data, string dataSite) =>
        new(consortium, Own(site, "policies", consortium + ".yaml"), data, dataSite) { Agreement = Own(site, "agreements", consortium + ".yaml") };

    private static IEnumerable<string> Members(string consortium) =>
        s_founders.Where(f => (consortium == Cardiology ? f.Heart : f.Tcga) is not null).Select(f => f.Site);

    private string HeartData => Path.Combine(_source, "data", "fed-heart-disease");

    private string BrcaData => Path.Combine(_source, "data", "fed-tcga-brca");

    /// <summary>A file of the consortium as the coordinator holds it (roster, agreement, signatures, ledger).</summary>
    private string Shared(string consortium, string file) => Path.Combine(Directory.CreateDirectory(Path.Combine(_c.Root, "consortia", consortium)).FullName, file);

    /// <summary>A file in a site's own folder (its copy of an agreement, its policy).</summary>
    private string Own(string site, string folder, string file) => Path.Combine(_c.SiteFolder(site), folder, file);

    private string SiteConfig(string site) => Path.Combine(_c.SiteFolder(site), "site.yaml");

    /// <summary>Each site runs <c>roster join</c>; the coordinator's operator runs <c>roster add</c> with their entries.</summary>
    private async Task JoinRosterAsync(string consortium, IReadOnlyList<string> sites, CancellationToken ct)
    {
        List<string> add = ["roster", "add", "--roster", Shared(consortium, "roster.json"), "--consortium", consortium];
        foreach (string site in sites)
        {
            string entry = Path.Combine(_c.SiteFolder(site), $"roster-entry-{consortium}.json");
            await _c.RunOkAsync(["roster", "join", "--config", SiteConfig(site), "--consortium", consortium, "--out", entry], null, ct).ConfigureAwait(false);
            add.AddRange(["--member", entry]);
        }

        await _c.RunOkAsync(add, null, ct).ConfigureAwait(false);
        Say($"{consortium}: roster of {string.Join(", ", sites)} (each joined with its own key; the coordinator added them)");
    }

    /// <summary>
    /// Writes the consortium's agreement for its roster's members (from the example, with their keys), has every member
    /// sign it with <c>agreement sign</c>, and hands each member its copy and the policy <c>agreement policy</c> would write.
    /// </summary>
    private async Task AgreeAsync(string consortium, int version, CancellationToken ct)
    {
        ConsortiumRoster roster = ConsortiumRoster.Load(Shared(consortium, "roster.json"));
        string example = Path.Combine(_source, "examples", "virtual-consortia", consortium == Cardiology ? "cardiology-agreement.yaml" : "oncology-agreement.yaml");
        string agreementPath = Shared(consortium, "agreement.yaml");
        string signaturesPath = AgreementSignatures.DefaultPath(agreementPath);
        string text = AgreementFor(await File.ReadAllTextAsync(example, ct).ConfigureAwait(false), roster.Members.ToDictionary(m => m.Site, m => m.PublicKey.Fingerprint, StringComparer.Ordinal), version, Path.GetFileName(example));
        await File.WriteAllTextAsync(agreementPath, text, ct).ConfigureAwait(false);
        File.Delete(signaturesPath); // a new version is signed afresh
        ConsortiumAgreement agreement = AgreementLoader.Load(agreementPath);
        foreach (RosterMember member in roster.Members)
        {
            await _c.RunOkAsync(["agreement", "sign", agreementPath, "--config", SiteConfig(member.Site)], null, ct).ConfigureAwait(false);
        }

        foreach (RosterMember member in roster.Members)
        {
            string copy = Own(member.Site, "agreements", consortium + ".yaml");
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(agreementPath, copy, overwrite: true);
            File.Copy(signaturesPath, AgreementSignatures.DefaultPath(copy), overwrite: true);
            string policy = Own(member.Site, "policies", consortium + ".yaml");
            Directory.CreateDirectory(Path.GetDirectoryName(policy)!);
            // The generated policy, plus the one choice it leaves to the site: accept roster additions automatically.
            await File.WriteAllTextAsync(policy, AgreementPolicy.Generate(agreement, member.Site, Path.GetRelativePath(Path.GetDirectoryName(policy)!, copy)) + "\nroster:\n  accept: automatic\n", ct).ConfigureAwait(false);
        }

        Say($"{consortium}: agreement version {version} (sha256 {agreement.Sha256[..12]}…) signed by {string.Join(", ", roster.Members.Select(m => m.Site))}");
    }

    /// <summary>
    /// The example agreement rewritten for this demonstration: only the members whose site (lower-cased, as node names
    /// are, or renamed to the node that serves it) is in <paramref name="keys"/>, each with its real key fingerprint, and
    /// the given version.
    /// </summary>
    internal static string AgreementFor(string example, IReadOnlyDictionary<string, string> keys, int version, string exampleName)
    {
        StringBuilder text = new();
        text.AppendLine(CultureInfo.InvariantCulture, $"# Written by 'consortia demo virtual-consortia' from examples/virtual-consortia/{exampleName}: its members are the demo's sites, with their keys.");
        string[] lines = example.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        bool header = true, inMembers = false;
        List<string> member = [];
        foreach (string line in lines)
        {
            if (header && line.StartsWith('#'))
            {
                continue; // the example's own header (about placeholder keys) does not apply here
            }

            header = false;
            bool topLevel = line.Length > 0 && !char.IsWhiteSpace(line[0]);
            if (inMembers && (topLevel || line.StartsWith("  - ", StringComparison.Ordinal)))
            {
                Flush();
            }

            if (topLevel)
            {
                inMembers = line == "members:";
            }

            if (inMembers && !topLevel)
            {
                member.Add(line);
            }
            else
            {
                text.AppendLine(VersionLine().IsMatch(line) ? string.Create(CultureInfo.InvariantCulture, $"version: {version}") : line);
            }
        }

        Flush();
        return text.ToString().TrimEnd('\n') + "\n";

        void Flush()
        {
            string? site = member.Select(l => SiteLine().Match(l)).FirstOrDefault(m => m.Success)?.Groups[1].Value;
            string? demoSite = site is null ? null : s_renamed.GetValueOrDefault(site) ?? site.ToLowerInvariant();
            if (demoSite is not null && keys.TryGetValue(demoSite, out string? key))
            {
                foreach (string l in member)
                {
                    text.AppendLine(SiteLine().IsMatch(l) ? SiteLine().Replace(l, "site: " + demoSite) : KeyLine().IsMatch(l) ? KeyLine().Replace(l, $"key: \"{key}\"") : l);
                }
            }

            member.Clear();
        }
    }

    [GeneratedRegex(@"^version: \d+\s*$")]
    private static partial Regex VersionLine();

    [GeneratedRegex(@"site: (\S+)")]
    private static partial Regex SiteLine();

    [GeneratedRegex("key: \"[^\"]*\"")]
    private static partial Regex KeyLine();

    /// <summary>
    /// The joiner's path, as docs/deployment.md describes it: a token, enrollment, <c>roster join</c> and <c>roster add</c>,
    /// a new agreement version naming it that every member (it included) signs, its node started. The other members'
    /// nodes accept the roster addition themselves (their policies say <c>roster: accept: automatic</c>).
    /// </summary>
    private async Task JoinAsync(CancellationToken ct)
    {
        LocalSite joiner = Site(Joiner);
        await _c.EnrollAsync(joiner, ct).ConfigureAwait(false);
        await _c.WriteSiteConfigAsync(joiner, ct).ConfigureAwait(false);
        Say($"{Joiner}: enrolled with its invitation token");
        string entry = Path.Combine(_c.SiteFolder(Joiner), $"roster-entry-{Cardiology}.json");
        await _c.RunOkAsync(["roster", "join", "--config", SiteConfig(Joiner), "--consortium", Cardiology, "--out", entry], null, ct).ConfigureAwait(false);
        await _c.RunOkAsync(["roster", "add", "--roster", Shared(Cardiology, "roster.json"), "--member", entry], null, ct).ConfigureAwait(false);
        Say($"{Joiner}: joined the {Cardiology} roster; the coordinator added it");
        await AgreeAsync(Cardiology, version: 2, ct).ConfigureAwait(false);
        await _c.StartNodeAsync(joiner, ct).ConfigureAwait(false);
        Say($"{Joiner}: node connected");
    }

    /// <summary>Changes one byte of the agreement at every cardiology member (ε per job 8.0 → 9.0) and runs <c>agreement check</c> on one copy.</summary>
    private async Task<(int Exit, string Output)> AlterAgreementAtMembersAsync(CancellationToken ct)
    {
        ConsortiumRoster roster = ConsortiumRoster.Load(Shared(Cardiology, "roster.json"));
        foreach (RosterMember member in roster.Members)
        {
            string copy = Own(member.Site, "agreements", Cardiology + ".yaml");
            byte[] bytes = await File.ReadAllBytesAsync(copy, ct).ConfigureAwait(false);
            int at = Encoding.UTF8.GetString(bytes).IndexOf("epsilon_per_job: 8.0", StringComparison.Ordinal);
            if (at < 0)
            {
                throw new LocalDeploymentException($"{copy}: no 'epsilon_per_job: 8.0' to alter");
            }

            bytes[at + "epsilon_per_job: ".Length] = (byte)'9'; // the only byte changed (the text is ASCII up to there)
            await File.WriteAllBytesAsync(copy, bytes, ct).ConfigureAwait(false);
        }

        (int exit, string output) = await _c.RunAsync(["agreement", "check", Own(roster.Members[0].Site, "agreements", Cardiology + ".yaml")], cancellationToken: ct).ConfigureAwait(false);
        Say($"{Cardiology}: one byte of the signed agreement changed at every member; 'agreement check' exits {exit}");
        return (exit, output);
    }

    private async Task<JobOverview> SubmitAsync(string consortium, string jobYaml, CancellationToken ct)
    {
        JobOverview job = await _admin!.SubmitAsync(jobYaml, "demo.yaml", ct).ConfigureAwait(false);
        _jobs[consortium].Add(job);
        Say($"{consortium}: submitted job {job.JobId} ({job.Name})");
        return job;
    }

    /// <summary>Follows the jobs to their end, failing fast when a process died or the time is up.</summary>
    private async Task WaitAsync(IReadOnlyList<string> jobIds, CancellationToken ct)
    {
        using CancellationTokenSource limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(_jobTimeout);
        Dictionary<string, JobOverview> last = [];
        try
        {
            while (true)
            {
                foreach (string id in jobIds)
                {
                    last[id] = await _admin!.GetAsync(id, limit.Token).ConfigureAwait(false);
                }

                if (last.Values.All(j => !j.IsActive))
                {
                    break;
                }

                if (_c.FirstExited() is { } ended)
                {
                    throw new LocalDeploymentException(string.Create(CultureInfo.InvariantCulture,
                        $"{ended.Name} exited (code {ended.ExitCode}) while jobs {string.Join(", ", jobIds)} ran. Its output:\n{ended.Output}"));
                }

                await Task.Delay(s_poll, TimeProvider.System, limit.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new LocalDeploymentException(string.Create(CultureInfo.InvariantCulture,
                $"jobs {string.Join(", ", jobIds)} did not end within {_jobTimeout.TotalSeconds:F0} s ({string.Join("; ", last.Values.Select(j => $"{j.JobId} {j.Status} {j.RoundsCompleted}/{j.RoundsTotal}"))}).\n{_c.Logs()}"));
        }

        foreach (JobOverview job in last.Values)
        {
            List<JobOverview> list = _jobs.Values.Single(l => l.Any(j => j.JobId == job.JobId));
            list[list.FindIndex(j => j.JobId == job.JobId)] = job;
            Say($"job {job.JobId} ({job.Name}): {job.Status}{(job.Message.Length > 0 ? ": " + job.Message : "")}");
        }
    }

    private string HeartJob(string name) =>
        JobOverrides.Apply(File.ReadAllText(Path.Combine(_source, "examples", "heart-disease", "fedavg.yaml")),
            [new("name", name), new("training.rounds", _rounds.ToString(CultureInfo.InvariantCulture))]);

    private string BrcaJob() =>
        JobOverrides.Apply(File.ReadAllText(Path.Combine(_source, "examples", "tcga-brca", "fedavg.yaml")),
            [new("training.rounds", _rounds.ToString(CultureInfo.InvariantCulture))]);

    /// <summary>
    /// The consortium as its ledgers tell it: each job's participants and running interval from the consortium's ledger,
    /// every refusal from its compliance report; writes its agreement, DUA (HTML and Markdown) and compliance report.
    /// </summary>
    private DemoConsortium Collect(string consortium)
    {
        string ledgers = Directory.CreateDirectory(Path.Combine(_out, "ledgers")).FullName;
        List<string> siteLedgers = [];
        foreach (string site in s_founders.Select(f => f.Site).Append(Joiner))
        {
            string state = Path.Combine(_c.SiteFolder(site), "state");
            if (File.Exists(Path.Combine(state, "ledger.db")))
            {
                File.Copy(Path.Combine(state, "ledger.db"), Path.Combine(ledgers, site + ".db"), overwrite: true);
                File.Copy(Path.Combine(state, "ledger.pub.pem"), Path.Combine(ledgers, site + ".pub.pem"), overwrite: true);
                siteLedgers.Add(Path.Combine(ledgers, site + ".db"));
            }
        }

        string ledger = Path.Combine(ledgers, $"consortium-{consortium}.db");
        File.Copy(Shared(consortium, "ledger.db"), ledger, overwrite: true);
        string folder = Directory.CreateDirectory(Path.Combine(_out, consortium)).FullName;
        string agreementPath = Path.Combine(folder, "agreement.yaml");
        File.Copy(Shared(consortium, "agreement.yaml"), agreementPath, overwrite: true);
        File.Copy(AgreementSignatures.DefaultPath(Shared(consortium, "agreement.yaml")), AgreementSignatures.DefaultPath(agreementPath), overwrite: true);
        ConsortiumAgreement agreement = AgreementLoader.Load(agreementPath);
        AgreementStatus status = AgreementSignatures.Verify(agreement, AgreementSignatures.Load(AgreementSignatures.DefaultPath(agreementPath)));
        File.WriteAllText(Path.Combine(folder, "dua.html"), DuaRenderer.Html(agreement, status));
        File.WriteAllText(Path.Combine(folder, "dua.md"), DuaRenderer.Markdown(agreement, status));
        ConsortiumComplianceReport report = ConsortiumComplianceReport.Build(consortium, status, ledger, siteLedgers, TimeProvider.System.GetUtcNow());
        File.WriteAllText(Path.Combine(folder, "compliance.md"), report.ToMarkdown());

        IReadOnlyList<LedgerEntry> entries = LedgerReader.Read(ledger).Entries;
        List<DemoJob> jobs = [];
        foreach (JobOverview job in _jobs[consortium])
        {
            LedgerEntry[] own = [.. entries.Where(e => e.Event.RunId == job.JobId)];
            DateTimeOffset? started = own.FirstOrDefault(e => e.Event is JobReceivedEvent)?.Timestamp;
            DateTimeOffset? ended = started is null ? null : (own.LastOrDefault(e => e.Event is ModelReleasedEvent) ?? own[^1]).Timestamp;
            string[] participants = [.. own.Select(e => e.Event).OfType<RoundCompletedEvent>().SelectMany(r => r.Updates.Select(u => u.SiteId)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
            Dictionary<string, double> final = job.Rounds.LastOrDefault(r => r.Metrics.Count > 0)?.Metrics.ToDictionary(m => m.Kind, m => m.Mean, StringComparer.Ordinal) ?? [];
            jobs.Add(new DemoJob(job.JobId, job.Name, job.Status, participants, final, started, ended, job.Message));
        }

        DemoRefusal[] refusals = [.. report.Refusals.Select(r => new DemoRefusal(r.RunId, r.Clause, r.By, r.Reason))];
        string[] members = [.. ConsortiumRoster.Load(Shared(consortium, "roster.json")).Members.Select(m => m.Site)];
        return new DemoConsortium(consortium, members, jobs, refusals);
    }

    private static DemoCheck[] Checks(DemoConsortium cardiology, DemoConsortium oncology, (string Heart, string Brca, string Breach, string Next, string Altered) ids, int checkExit, string checkOutput)
    {
        DemoJob Job(DemoConsortium c, string id) => c.Jobs.Single(j => j.Id == id);
        DemoJob heart = Job(cardiology, ids.Heart), brca = Job(oncology, ids.Brca), breach = Job(cardiology, ids.Breach), next = Job(cardiology, ids.Next), altered = Job(cardiology, ids.Altered);
        string[] shared = [.. cardiology.Members.Intersect(oncology.Members, StringComparer.Ordinal)];
        DemoRefusal? byClause = cardiology.Refusals.FirstOrDefault(r => r.Job == breach.Id && r.By == ConsortiumComplianceReport.Coordinator && r.Clause == BrokenClause);
        string[] refusedAltered = [.. cardiology.Refusals.Where(r => r.Job == altered.Id && r.Clause == AgreementRules.Signatures).Select(r => r.By).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
        string[] notRefusing = [.. cardiology.Members.Except(refusedAltered, StringComparer.Ordinal)];
        return
        [
            new("two-consortia-one-coordinator", shared.Length > 0,
                $"{cardiology.Name} ({string.Join(", ", cardiology.Members)}) and {oncology.Name} ({string.Join(", ", oncology.Members)}); in both: {(shared.Length == 0 ? "none" : string.Join(", ", shared))}"),
            new("jobs-completed", new[] { heart, brca, next }.All(j => j.State == "completed" && j.Participants.Count > 0),
                string.Join("; ", new[] { heart, brca, next }.Select(j => $"{j.Id} {j.State} with {j.Participants.Count} participant(s)"))),
            new("concurrent", heart.Overlaps(brca),
                $"{heart.Id} ran {Interval(heart)}, {brca.Id} ran {Interval(brca)}"),
            new("joined-hospital-in-next-job-only", !heart.Participants.Contains(Joiner) && next.Participants.Contains(Joiner),
                $"{Joiner} in {heart.Id}: {heart.Participants.Contains(Joiner)}; in {next.Id}: {next.Participants.Contains(Joiner)}"),
            new("refused-by-clause", breach.State == "refused" && byClause is not null,
                byClause is null ? $"{breach.Id} {breach.State}: {breach.Message}" : $"{breach.Id} refused by the coordinator: {byClause.Clause}: {byClause.Reason}"),
            new("altered-agreement-refused", checkExit == 1 && altered.State != "completed" && altered.Participants.Count == 0 && notRefusing.Length == 0,
                $"'agreement check' exit {checkExit} ({FirstLine(checkOutput)}); {altered.Id} {altered.State}; refused ({AgreementRules.Signatures}) by {(refusedAltered.Length == 0 ? "no node" : string.Join(", ", refusedAltered))}{(notRefusing.Length > 0 ? $"; not by {string.Join(", ", notRefusing)}" : "")}"),
        ];

        static string Interval(DemoJob j) => j.StartedAt is { } s && j.EndedAt is { } e ? $"{s:HH:mm:ss.fff}-{e:HH:mm:ss.fff}" : "never";

        static string FirstLine(string text) => text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal)) ?? text.Trim().Split('\n')[0];
    }

    private void Say(string line) => _progress?.Report(line);
}
