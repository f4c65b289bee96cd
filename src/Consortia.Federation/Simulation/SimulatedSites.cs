using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Governance.Policies;
using Consortia.Learning;
using Consortia.Privacy.Budget;

namespace Consortia.Federation.Simulation;

/// <summary>
/// The sites of a simulated run, each composed by <see cref="SiteBuilder"/> exactly as a deployed node composes
/// its own: the site's policy from the job's <c>policies:</c> section (none means the site refuses everything),
/// its budget ledger, its audit ledger, its saved state, and seeded randomness so that a run reproduces.
/// </summary>
internal sealed class SimulatedSites : IDisposable
{
    private readonly PrivacyBudgetLedger?[] _budgets;
    private readonly string? _temporary;

    private SimulatedSites(SiteAgent[] agents, PrivacyBudgetLedger?[] budgets, string? temporary, SimulatedConsortium consortium)
    {
        Agents = agents;
        Consortium = consortium;
        _budgets = budgets;
        _temporary = temporary;
    }

    public SiteAgent[] Agents { get; }

    /// <summary>The sites' signing keys (in memory) and the one roster every simulated site accepted.</summary>
    public SimulatedConsortium Consortium { get; }

    /// <summary>What DP has cost each site that used it.</summary>
    public SitePrivacyReport[] Privacy => [.. Agents.Select(a => a.Privacy).OfType<SitePrivacyReport>()];

    /// <summary>Builds one agent per site of <paramref name="data"/>.</summary>
    /// <param name="job">The job.</param>
    /// <param name="data">The per-site data.</param>
    /// <param name="stateDirectory">Where budget ledgers outlive the run (<c>budgets/SITE.db</c>); <see langword="null"/> for a temporary folder.</param>
    /// <param name="ledgers">The run's audit ledgers, or <see langword="null"/>.</param>
    /// <param name="time">The clock of the run (policy schedules and budget ledgers).</param>
    /// <param name="policies">Each site's policy; <see langword="null"/> reads the job's <c>policies:</c> section.</param>
    public static SimulatedSites Create(JobDefinition job, FederatedDataset data, string? stateDirectory, SimulationLedgers? ledgers, TimeProvider time, Func<string, PolicyEvaluator?>? policies = null)
    {
        RandomSource random = new(job.Seed);
        string? sitesFolder = stateDirectory is null ? null : Path.Combine(stateDirectory, "sites");
        string? temporary = null;
        policies ??= site => PolicyFor(job, site);
        PolicyEvaluator?[] evaluators = [.. data.Sites.Select(site => policies(site.Name))];

        // Each simulated site's lifetime budget is its own policy's, as on a node; never the job's. Only DP jobs open one.
        bool dp = job.Engine.Dp is not null || job.ClientDp is not null;
        LifetimeBudget?[] lifetimes = [.. evaluators.Select(e => dp ? SiteBudgets.FromPolicy(e) : null)];
        if (lifetimes.Any(b => b is not null) && stateDirectory is null)
        {
            temporary = stateDirectory = Path.Combine(Path.GetTempPath(), "consortia-sim-" + Guid.NewGuid().ToString("N"));
        }

        (PrivacyBudgetLedger? Ledger, string? Problem)[] budgets = [.. data.Sites.Select((site, i) => lifetimes[i] is null
            ? (null, null)
            : SiteBudgets.Open(Path.Combine(Directory.CreateDirectory(Path.Combine(stateDirectory!, "budgets")).FullName, site.Name + ".db"), lifetimes[i], time))];
        SimulatedConsortium consortium = SimulatedConsortium.Create(job.Consortium, data.Sites.Select(s => s.Name));
        MaliciousSite?[] attacks = AttacksOf(job, data);

        // Simulation derives every site's randomness (DP noise included) from the job seed, site and round so runs
        // reproduce and resume exactly; deployed sites use the cryptographic source. With --out, each site saves what it
        // carries between rounds (SCAFFOLD's cᵢ, its privacy account) in DIR/sites, so --resume continues it.
        SiteAgent[] agents = [.. data.Sites.Select((site, i) => new SiteBuilder
        {
            Job = job,
            Site = new SiteId(site.Name),
            Train = site.Train,
            Test = site.Test,
            Task = data.Task,
            Randomness = SiteRandomness.Seeded(random.Derive("site").Derive((ulong)i)),
            Time = time,
            Policy = evaluators[i],
            Budget = budgets[i].Ledger,
            BudgetProblem = budgets[i].Problem,
            Audit = ledgers?.Sites[i],
            StatePath = sitesFolder is null ? null : Path.Combine(sitesFolder, site.Name + ".state"),
            SigningKey = consortium.KeyOf(site.Name),
            Roster = consortium.Roster,
            RosterIsAccepted = false, // keys the simulation made up: they vouch for no agreement signer
            Attack = attacks[i],
        }.Build())];
        return new SimulatedSites(agents, [.. budgets.Select(b => b.Ledger)], temporary, consortium);
    }

    /// <summary>The poisoning drill: each site's attack (<c>simulation.malicious</c>), or <see langword="null"/> for an honest site.</summary>
    /// <exception cref="JobFileException">A malicious site is not one of the data's sites.</exception>
    private static MaliciousSite?[] AttacksOf(JobDefinition job, FederatedDataset data)
    {
        foreach (MaliciousSite attack in job.Malicious)
        {
            attack.Validate();
            if (!data.Sites.Any(s => string.Equals(s.Name, attack.Site, StringComparison.Ordinal)))
            {
                throw new JobFileException($"{job.SourcePath ?? job.Name}: simulation.malicious: site '{attack.Site}' is not one of the data's sites ({string.Join(", ", data.Sites.Select(s => s.Name))}).");
            }
        }

        return [.. data.Sites.Select(site => job.Malicious.FirstOrDefault(a => string.Equals(a.Site, site.Name, StringComparison.Ordinal)))];
    }

    /// <summary>
    /// The policy a simulated site enforces: its entry in the job's <c>policies:</c> section, else the
    /// <c>default</c> entry; a site with neither (or a job without the section) has no policy and refuses
    /// everything, as a deployed node without a policy file does.
    /// </summary>
    public static PolicyEvaluator? PolicyFor(JobDefinition job, string site) =>
        job.Policies is { } policies && (policies.TryGetValue(site, out string? path) || policies.TryGetValue("default", out path))
            ? PolicyEvaluator.FromFile(path)
            : null;

    public void Dispose()
    {
        foreach (SiteAgent agent in Agents)
        {
            agent.Dispose();
        }

        Consortium.Dispose();
        foreach (PrivacyBudgetLedger? ledger in _budgets)
        {
            ledger?.Dispose();
        }

        if (_temporary is not null)
        {
            Directory.Delete(_temporary, recursive: true);
        }
    }
}
