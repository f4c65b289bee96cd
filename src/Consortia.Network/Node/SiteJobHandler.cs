using System.Collections.Concurrent;
using Consortia.Data;
using Consortia.Federation;
using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Governance.Roster;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Network.Configuration;
using Consortia.Privacy.Budget;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Node;

/// <summary>
/// A deployed site's work: for each announced job, reads the site's own data (from its configuration,
/// never from the job), builds the same <see cref="SiteAgent"/> as a simulation does, under the site's own
/// policy file, audit ledger and privacy budget, and answers the job's tasks with it.
/// </summary>
/// <remarks>
/// Several jobs may be prepared at once, one agent each (kept until the coordinator ends the job); they
/// share the site's one audit ledger and privacy budget, which serialise their own writes.
/// The site's randomness (batch sampling, DP noise, rounding) comes from the cryptographic generator, so the
/// coordinator that chose the job seed cannot know it. Only a node configured with <c>randomness: seeded</c>
/// derives it from the job seed and the site's position in the dataset exactly as <c>consortia simulate</c> does,
/// to reproduce a simulation over the network; it logs a warning and its ledger records that the job is not private.
/// A node in several consortia (<c>consortia:</c> in its configuration) routes each job by its <c>consortium:</c> to that
/// consortium's policy, agreement, data, privacy budget and accepted roster; a job of a consortium the node is not in,
/// or has left, is refused and logged.
/// What the site carries between rounds of a job (SCAFFOLD's cᵢ, its privacy account) is saved in
/// <c>STATE/jobs/JOB.state</c>, so a restarted node continues the job.
/// </remarks>
public sealed partial class SiteJobHandler : ISiteWorkHandler, IDisposable
{
    private readonly NodeConfig _config;
    private EcdsaLedgerSigner? _signer; // the site's long-term signing key, loaded with the ledger
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly List<IDisposable> _owned = [];
    private readonly ConcurrentDictionary<string, PreparedJob> _jobs = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly Dictionary<(string File, LifetimeBudget Budget), PrivacyBudgetLedger> _budgets = [];
    private readonly ApprovalGate _approval;
    private readonly SiteFairnessAuditor _auditor;
    private readonly SiteReweighting _reweighting;
    private AuditLedger? _ledger;

    /// <summary>Creates the handler for a node's configuration.</summary>
    /// <param name="config">The node's configuration.</param>
    /// <param name="time">The clock for policy schedules and ledgers.</param>
    /// <param name="log">The node's own log (failure details stay here).</param>
    public SiteJobHandler(NodeConfig config, TimeProvider time, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _time = time;
        _log = log;
        Site = new SiteId(config.Site);
        _approval = new ApprovalGate(config, time, log, Ledger);
        _auditor = new SiteFairnessAuditor(config, Site, Ledger, SigningKey, log);
        _owned.Add(_auditor);
        _reweighting = new SiteReweighting(config, Site, Ledger, SigningKey, log);
        _owned.Add(_reweighting);
    }

    /// <summary>
    /// Whether fairness audits are answered only for a model the site received in the run, and capped per run. Always
    /// on; only <c>consortia redteam coordinator --unprotected</c> turns it off, in its own process.
    /// </summary>
    internal bool AuditReceivedModelsOnly
    {
        get => _auditor.ReceivedModelsOnly;
        init => _auditor.ReceivedModelsOnly = value;
    }

    /// <summary>The notifications of the site officer started so far (tests wait on them).</summary>
    internal IReadOnlyList<Task> ApprovalNotifications => _approval.Notifications;

    /// <inheritdoc />
    public SiteId Site { get; }

    /// <summary>The jobs the node has prepared and not yet released, in order.</summary>
    public IReadOnlyList<string> Jobs => [.. _jobs.Keys.Order(StringComparer.Ordinal)];

    /// <inheritdoc />
    public async ValueTask<JobReadiness> PrepareJobAsync(string jobId, string jobYaml, CancellationToken cancellationToken)
    {
        if (BeforePrepare is { } before && !_jobs.ContainsKey(jobId) && MembershipOf(jobId, jobYaml) is { } membership)
        {
            await before(membership, cancellationToken).ConfigureAwait(false);
        }

        return await PrepareCoreAsync(jobId, jobYaml).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs before a new job is prepared, with the membership (consortium) it belongs to. The node fetches that
    /// consortium's roster here, so a member added since the last fetch (accepted automatically when the policy says so)
    /// counts from the consortium's next job, not only after the periodic fetch. None: the accepted roster as it is.
    /// </summary>
    public Func<NodeMembership, CancellationToken, Task>? BeforePrepare { get; set; }

    /// <summary>The membership a job's file names, or none when the file does not parse or names no consortium of this node (the preparation says why).</summary>
    private NodeMembership? MembershipOf(string jobId, string jobYaml)
    {
        try
        {
            return _config.Membership(JobFile.Parse(jobYaml, Path.Combine(_config.State, "jobs", jobId + ".yaml")).Consortium);
        }
        catch (JobFileException)
        {
            return null;
        }
    }

    private ValueTask<JobReadiness> PrepareCoreAsync(string jobId, string jobYaml)
    {
        if (_jobs.TryGetValue(jobId, out PreparedJob? prepared))
        {
            return ValueTask.FromResult(new JobReadiness(true, prepared.FeatureCount));
        }

        try
        {
            Directory.CreateDirectory(_config.State);
            JobDefinition job = JobFile.Parse(jobYaml, Path.Combine(_config.State, "jobs", jobId + ".yaml"));
            if (_config.Membership(job.Consortium) is not { } membership)
            {
                LogNotAMember(Site.Value, jobId, job.Consortium);
                return ValueTask.FromResult(new JobReadiness(false, 0, "consortium-unknown", $"this site is not a member of consortium '{job.Consortium}'."));
            }

            if (MembershipRecord.LeftAt(membership) is { } left)
            {
                LogLeft(Site.Value, jobId, job.Consortium, left);
                return ValueTask.FromResult(new JobReadiness(false, 0, "consortium-left", $"this site left consortium '{job.Consortium}' at {left}; it takes no new tasks of it."));
            }

            if (_approval.Check(jobId, job, jobYaml, membership.Policy) is { } waiting)
            {
                return ValueTask.FromResult(waiting); // the site officer has not approved it (policy approval: manual)
            }

            NodeDataConfig local = membership.Data;
            DataSourceOptions data = job.Data with { Path = local.Path, Contract = local.Contract ?? job.Data.Contract };
            FederatedDataset dataset = FederatedDataLoader.Load(data, _config.State);
            int index = dataset.Sites.ToList().FindIndex(s => string.Equals(s.Name, local.Site, StringComparison.Ordinal));
            if (index < 0)
            {
                return ValueTask.FromResult(new JobReadiness(false, 0, "data-site-missing", $"the local dataset has no site named '{local.Site}'."));
            }

            SiteData own = dataset.Sites[index];
            PolicyEvaluator policy = Policy(membership);
            (PrivacyBudgetLedger? budget, string? budgetProblem) = Budget(job, policy, membership);
            AuditLedger ledger = Ledger();
            // The coordinator's job id is this run's id: entries of two runs of one job name stay apart.
            ledger.Append(new JobReceivedEvent(job.Name, Sha256Hex.OfText(jobYaml), job.Consortium, job.Owner) { RunId = jobId });
            if (_config.SeededRandomness)
            {
                LogSeededRandomness(Site.Value, jobId);
            }

            // The same composition as a simulated site; no policy file means the site refuses every job. Group
            // reweighting builds it again once, on the training records it resampled.
            SiteRandomness randomness = _config.SeededRandomness ? SiteRandomness.Seeded(new RandomSource(job.Seed).Derive("site").Derive((ulong)index)) : SiteRandomness.Cryptographic;
            SiteAgent Build(Dataset train) => new SiteBuilder
            {
                Job = job,
                Site = Site,
                Train = train,
                Test = own.Test,
                Task = dataset.Task,
                Randomness = randomness,
                Time = _time,
                Policy = policy,
                Budget = budget,
                BudgetProblem = budgetProblem,
                Audit = ledger,
                StatePath = Path.Combine(_config.State, "jobs", jobId + ".state"),
                // Survives a node restart: the site still contributes to each round of this job run once.
                RoundStatePath = Path.Combine(_config.State, "rounds", Sha256Hex.OfText(jobId + "\n" + job.ContentSha256) + ".state"),

                // One long-term key signs the ledger, the roster entry and secure aggregation; peers are checked
                // against the roster this node accepted (consortia roster accept), never the coordinator's CA.
                SigningKey = _signer,
                Roster = new RosterStore(membership.StateFolder).Accepted(),
                RunId = jobId,
            }.Build();
            Keep(jobId, new PreparedJob(jobId, job, Sha256Hex.OfText(jobYaml), membership, own, policy, randomness, Build) { Agent = Build(own.Train) });
            LogPrepared(Site.Value, jobId, own.Train.Count, own.Test.Count);
            return ValueTask.FromResult(new JobReadiness(true, own.Train.FeatureCount));
        }
        catch (Exception e) when (e is RosterException or JobFileException or DataConfigurationException or DataValidationException or IOException or ArgumentException or InvalidDataException or PolicyFileException)
        {
            // The full detail stays in the site's log; the coordinator gets a code and a data-free message.
            LogPrepareFailed(Site.Value, jobId, e);
            return ValueTask.FromResult(new JobReadiness(false, 0, Code(e), $"the site could not prepare the job ({Code(e)}); see the site's log."));
        }
    }

    /// <inheritdoc />
    public async ValueTask<SiteReply> HandleAsync(string jobId, SiteTask task, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(task);
        // A fairness audit runs under its own session id and needs no prepared job: the auditor checks the site's ledger.
        try
        {
            if (task is FairnessAuditTask audit)
            {
                return _auditor.Audit(jobId, audit);
            }

            if (task is SecAggTask secure && _auditor.HandleSecAgg(jobId, secure) is { } answered)
            {
                return answered;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogTaskFailed(Site.Value, task.Round.Value, e);
            return new Failed(task.Site, task.Round, "site-error", "The site failed on this task; the detail is in the site's log.");
        }

        if (!_jobs.TryGetValue(jobId, out PreparedJob? prepared))
        {
            return new Failed(task.Site, task.Round, "no-job", $"The site has not prepared job '{jobId}'.");
        }

        try
        {
            // Group reweighting: the counting before round 1 and its secure-aggregation session, then the summed counts
            // each training task carries (checked; the first valid sum resamples the training records, once).
            switch (task)
            {
                case ReweightingCountTask count:
                    return _reweighting.Count(jobId, prepared, count);
                case SecAggTask secure when _reweighting.HandleSecAgg(jobId, secure) is { } answered:
                    return answered;
                case TrainTask train:
                    (Refused? refusal, Dataset? resampled) = _reweighting.Train(jobId, prepared, train);
                    if (refusal is not null)
                    {
                        return refusal;
                    }

                    if (resampled is not null)
                    {
                        // Nothing trained yet on the old agent: the node's per-job queue serialises tasks, and the sum comes with the first.
                        SiteAgent replaced = prepared.Agent;
                        prepared.Agent = prepared.Build(resampled);
                        prepared.Resampled = true;
                        replaced.Dispose();
                    }

                    break;
            }

            return await prepared.Agent.HandleAsync(task, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogTaskFailed(Site.Value, task.Round.Value, e);
            return new Failed(task.Site, task.Round, "site-error", "The site failed on this task; the detail is in the site's log.");
        }
    }

    /// <inheritdoc />
    public void EndJob(string jobId)
    {
        _auditor.End(jobId);
        _reweighting.End(jobId);
        if (_jobs.TryRemove(jobId, out PreparedJob? prepared))
        {
            prepared.Agent.Dispose();
            LogReleased(Site.Value, jobId);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (string jobId in _jobs.Keys)
        {
            EndJob(jobId);
        }

        foreach (IDisposable owned in Enumerable.Reverse(_owned))
        {
            owned.Dispose();
        }
    }

    private void Keep(string jobId, PreparedJob prepared)
    {
        if (!_jobs.TryAdd(jobId, prepared))
        {
            prepared.Agent.Dispose(); // prepared twice at once: the first one stays
        }
    }

    /// <summary>
    /// The site's budget ledger for a DP job: the lifetime budget of the node's configuration (<c>budget:</c>), else of
    /// its policy (<c>lifetime_epsilon_budget</c>, <c>delta</c>); never the job's. A problem with the ledger file (it
    /// holds another budget, it is damaged) is returned as the reason the site refuses DP rounds, not thrown.
    /// </summary>
    private (PrivacyBudgetLedger? Ledger, string? Problem) Budget(JobDefinition job, PolicyEvaluator policy, NodeMembership membership)
    {
        if (job.Engine.Dp is null && job.ClientDp is null)
        {
            return (null, null);
        }

        LifetimeBudget? budget = membership.Budget is { } b ? new LifetimeBudget(b.Epsilon, b.Delta) : SiteBudgets.FromPolicy(policy);
        if (budget is not { } lifetime)
        {
            return (null, null);
        }

        // One ledger object per file and budget: concurrent jobs book through it, and it serialises them.
        lock (_gate)
        {
            // Each consortium's budget is its own ledger file (STATE/consortia/NAME/privacy-budget.db).
            string file = Path.Combine(membership.StateFolder, "privacy-budget.db");
            if (_budgets.TryGetValue((file, lifetime), out PrivacyBudgetLedger? open))
            {
                return (open, null);
            }

            Directory.CreateDirectory(membership.StateFolder);
            (PrivacyBudgetLedger? ledger, string? problem) = SiteBudgets.Open(file, lifetime, _time);
            if (ledger is not null)
            {
                _owned.Add(ledger);
                _budgets[(file, lifetime)] = ledger;
            }
            else
            {
                LogBudgetUnusable(Site.Value, problem);
            }

            return (ledger, problem);
        }
    }

    /// <summary>The membership's policy; the agreement the membership names (<c>consortia[].agreement</c>) replaces the policy's.</summary>
    private static PolicyEvaluator Policy(NodeMembership membership)
    {
        PolicyEvaluator evaluator = membership.Policy is { } path ? PolicyEvaluator.FromFile(path) : new PolicyEvaluator(null);
        return membership.Agreement is { } agreement && evaluator.Policy is { } policy
            ? new PolicyEvaluator(policy with { Agreement = agreement })
            : evaluator;
    }

    /// <summary>The site's long-term signing key (its ledger's, its roster entry's), loaded or created with the ledger.</summary>
    internal EcdsaLedgerSigner SigningKey()
    {
        _ = Ledger();
        return _signer!; // set with the ledger
    }

    /// <summary>The site's one audit ledger (opened on first use); the roster fetch appends to it too.</summary>
    internal AuditLedger Ledger()
    {
        // One ledger object for all jobs: it keeps the chain's head in memory, so a second one would fork the chain.
        lock (_gate)
        {
            if (_ledger is null)
            {
                Directory.CreateDirectory(_config.State); // the node's first start: the key is made before any job arrives
                EcdsaLedgerSigner signer = EcdsaLedgerSigner.LoadOrCreate(Path.Combine(_config.State, "ledger.key.pem"), Path.Combine(_config.State, "ledger.pub.pem"));
                _owned.Add(signer);
                _signer = signer;
                _ledger = AuditLedger.Open(Path.Combine(_config.State, "ledger.db"), Site.Value, LedgerRole.Site, signer, _time);
                _owned.Add(_ledger);
            }

            return _ledger;
        }
    }

    private static string Code(Exception e) => e switch
    {
        JobFileException => "job-invalid",
        DataConfigurationException or DataValidationException => "data-invalid",
        PolicyFileException => "policy-invalid",
        RosterException => "roster-invalid",
        _ => "prepare-failed",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "site {Site}: ready for job {Job} ({Train} training and {Test} test rows)")]
    private partial void LogPrepared(string site, string job, int train, int test);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: job {Job} uses randomness seeded from the job seed (node setting 'randomness: seeded'): whoever knows the seed knows the site's DP noise and batches; this run is NOT private")]
    private partial void LogSeededRandomness(string site, string job);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: refused job {Job}: it runs in consortium '{Consortium}', which this node does not serve (consortia: in its configuration)")]
    private partial void LogNotAMember(string site, string job, string consortium);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: refused job {Job}: this node left consortium '{Consortium}' at {Left}")]
    private partial void LogLeft(string site, string job, string consortium, string left);

    [LoggerMessage(Level = LogLevel.Information, Message = "site {Site}: released job {Job}")]
    private partial void LogReleased(string site, string job);

    [LoggerMessage(Level = LogLevel.Error, Message = "site {Site}: cannot prepare job {Job}")]
    private partial void LogPrepareFailed(string site, string job, Exception error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: the privacy budget cannot be used, DP rounds are refused: {Problem}")]
    private partial void LogBudgetUnusable(string site, string? problem);

    [LoggerMessage(Level = LogLevel.Error, Message = "site {Site}: task of round {Round} failed")]
    private partial void LogTaskFailed(string site, int round, Exception error);
}
