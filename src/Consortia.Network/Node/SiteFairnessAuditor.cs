using Consortia.Assurance.Fairness;
using Consortia.Data;
using Consortia.Data.Contracts;
using Consortia.Federation;
using Consortia.Federation.Fairness;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Governance.Roster;
using Consortia.Learning.Models;
using Consortia.Network.Configuration;
using Consortia.Network.Coordinator;
using Microsoft.Extensions.Logging;

namespace Consortia.Network.Node;

/// <summary>
/// A deployed site's side of a fairness audit (<see cref="FairnessAuditTask"/>): the coordinator is treated as an
/// adversary, so the site answers only for a job run its own ledger shows it accepted and trained in, with the job file
/// it accepted (same hash), by attributes that job declares and this site declares sensitive, under its own policy;
/// then it computes its per-group counts on its own test data with the same code as the simulation
/// (<see cref="SiteFairnessCounts"/>, <see cref="SurvivalFairnessCounts"/>), suppresses cells below its policy's
/// minimum cell count, and releases only that integer vector: plainly, or as a masked input of the audit's
/// secure-aggregation session when the job uses secure aggregation.
/// </summary>
/// <remarks>
/// Each refusal names its rule, is logged and is written to the site's ledger as a refused policy decision of the
/// audited run; each release is written as a <see cref="FairnessAuditEvent"/> (hash of what left the site, the cells it
/// withheld). The audited job need not be prepared: the site reads its data again for the audit.
/// </remarks>
internal sealed partial class SiteFairnessAuditor(NodeConfig config, SiteId site, Func<AuditLedger> ledger, Func<ILedgerSigner> signingKey, ILogger log) : IDisposable
{
    /// <summary>
    /// Whether the site answers only for a model it received itself in the run, and at most its policy's number of
    /// audits per run. Always on in a node; only the red team turns it off (<c>consortia redteam coordinator
    /// --unprotected</c>), to show the query oracle it closes. No configuration file can.
    /// </summary>
    internal bool ReceivedModelsOnly { get; set; } = true;

    /// <summary>Rule: the audited run is one this site accepted (same job file) and trained in.</summary>
    public const string JobRule = "audit-job";

    /// <summary>Rule: every attribute is declared by the job and its column declared sensitive by this site.</summary>
    public const string AttributeRule = "audit-attribute";

    /// <summary>Rule: the policy releases aggregate metrics and sets a minimum cell count.</summary>
    public const string OutputsRule = "audit-outputs";

    /// <summary>Rule: a job (or policy) with secure aggregation is audited only through a secure-aggregation session of the audit.</summary>
    public const string SecureRule = "audit-secure-aggregation";

    /// <summary>Rule: the audited model is one this site received itself in the run (its ledger holds its SHA-256), and fits the job's model.</summary>
    public const string ModelRule = "audit-model";

    /// <summary>Rule: at most the policy's <c>outputs.max_audits_per_job</c> audits per job run (also recorded, passed, for each one answered).</summary>
    public const string CapRule = "audit-cap";

    // Counting and recording an answered audit is one step, so two audits arriving at once cannot both take the last one.
    private readonly Lock _capGate = new();

    private readonly CountSessions _sessions = new(ledger);

    /// <summary>Answers an audit task that arrived under <paramref name="sessionId"/> (the coordinator's id of the audit).</summary>
    public SiteReply Audit(string sessionId, FairnessAuditTask task)
    {
        JobDefinition job;
        try
        {
            job = JobFile.Parse(task.JobYaml, Path.Combine(config.State, "audits", "job.yaml"));
        }
        catch (JobFileException e)
        {
            LogInvalidJob(site.Value, task.AuditedRun, e.Message);
            return Refuse(task, null, null, JobRule, "the audit's job file does not parse; it is not the file of a job this site accepted");
        }

        NodeMembership? membership = config.Membership(job.Consortium);
        PolicyEvaluator? policy = membership is null ? null : Policy(membership);
        if (Problem(task, job, membership, policy?.Policy) is { } problem)
        {
            return Refuse(task, job, policy?.Policy, problem.Rule, problem.Reason);
        }

        // Checked above: a member with a policy that sets a minimum cell count.
        SitePolicy rules = policy!.Policy!;
        if (CountAudit(task, job, rules) is { } capped)
        {
            return Refuse(task, job, rules, CapRule, capped);
        }

        try
        {
            (long[] counts, IReadOnlyList<string> withheld, string? modelProblem) = Count(task, job, membership!, rules.Outputs.MinCellCount!.Value);
            if (modelProblem is not null)
            {
                return Refuse(task, job, rules, ModelRule, modelProblem);
            }

            string modelSha = UpdateHash.Of(task.Parameters.Values);
            string[] attributes = [FairnessAudit.SiteAttribute, .. task.Attributes];
            if (task.SecureSession is { } session)
            {
                SiteCountSession joined = new(site, task.Round, session, task.Participant, signingKey(), new RosterStore(membership!.StateFolder).Accepted()!, counts);
                // A second audit under one session id replaces the first.
                _sessions.Join(sessionId, joined, masked => new FairnessAuditEvent(job.Name, modelSha, attributes, FairnessRelease.Masked, masked, task.Sites.Count, withheld) { RunId = task.AuditedRun });
                LogJoined(site.Value, task.AuditedRun, withheld.Count);
                return new TrainingPrepared(site, task.Round, 0);
            }

            uint[] wire = [.. counts.Select(c => (uint)c)]; // as it crosses the wire (uint32; counts are far below 2^32)
            ledger().Append(new FairnessAuditEvent(job.Name, modelSha, attributes, FairnessRelease.Plain, UpdateHash.Of(wire), task.Sites.Count, withheld) { RunId = task.AuditedRun });
            LogReleased(site.Value, task.AuditedRun, withheld.Count);
            return new FairnessCountsReleased(site, task.Round, [.. counts]);
        }
        catch (Exception e) when (e is DataConfigurationException or DataValidationException or IOException or ArgumentException or InvalidDataException or RosterException)
        {
            // The detail (it may quote data values) stays in the site's log; the coordinator gets a code.
            LogAuditFailed(site.Value, task.AuditedRun, e);
            return new Failed(site, task.Round, "audit-failed", "The site could not compute its audit counts; see the site's log.");
        }
    }

    /// <summary>Answers a secure-aggregation message of an audit session, or <see langword="null"/> when <paramref name="sessionId"/> is no audit of this site.</summary>
    public SiteReply? HandleSecAgg(string sessionId, SecAggTask task) => _sessions.Handle(sessionId, task);

    /// <summary>Forgets the session of an audit that has ended.</summary>
    public void End(string sessionId) => _sessions.End(sessionId);

    /// <inheritdoc />
    public void Dispose() => _sessions.Dispose();

    /// <summary>The first rule the task breaks, or <see langword="null"/>.</summary>
    private (string Rule, string Reason)? Problem(FairnessAuditTask task, JobDefinition job, NodeMembership? membership, SitePolicy? policy)
    {
        if (membership is null)
        {
            return (JobRule, $"this site is not a member of consortium '{job.Consortium}'");
        }

        // The site's own ledger, not the coordinator's word: the run must be one this site accepted with exactly this file, and trained in.
        string manifest = Sha256Hex.OfText(task.JobYaml);
        LedgerEvent[] events = [.. ledger().ReadEntries().Select(e => e.Event).Where(e => e.RunId == task.AuditedRun)];
        if (!events.OfType<JobReceivedEvent>().Any(e => e.ManifestSha256 == manifest))
        {
            return (JobRule, $"this site's ledger holds no accepted job run '{task.AuditedRun}' with this job file (sha256 {manifest[..12]}…)");
        }

        if (!events.OfType<RoundTrainedEvent>().Any())
        {
            return (JobRule, $"this site did not train in job run '{task.AuditedRun}'; it audits only models it contributed to");
        }

        if (!task.Sites.Contains(site.Value, StringComparer.Ordinal))
        {
            return (JobRule, $"the audit's sites ({string.Join(", ", task.Sites)}) do not include this site");
        }

        // The model too must be one the site saw itself in this run (a round's aggregate it evaluated, recorded at receipt),
        // or a coordinator could audit crafted models, each scoring by a feature of its choosing, and read the site's data
        // through the counts, one query per model.
        if (ReceivedModelsOnly)
        {
            string modelSha = UpdateHash.Of(task.Parameters.Values);
            if (!events.OfType<AggregateReceivedEvent>().Any(e => e.AggregateSha256 == modelSha))
            {
                return (ModelRule, $"this site never received the audited model (sha256 {modelSha[..12]}…) in job run '{task.AuditedRun}'; it audits only a model its ledger shows it received");
            }
        }

        if (policy is null)
        {
            return (OutputsRule, "this site has no policy file; it releases nothing");
        }

        if (!policy.Outputs.AggregateMetrics || policy.Outputs.MinCellCount is null)
        {
            return (OutputsRule, policy.Outputs.AggregateMetrics
                ? "the site policy sets no outputs.min_cell_count, so no cell can be released"
                : "the site policy does not allow aggregate metrics (outputs.aggregate_metrics)");
        }

        IReadOnlyList<SensitiveVariable> declared = job.Fairness?.Groups ?? [];
        foreach (string name in task.Attributes)
        {
            SensitiveVariable? attribute = declared.FirstOrDefault(d => d.Name == name);
            if (attribute is null)
            {
                return (AttributeRule, $"attribute '{name}' is not declared in the job's fairness.groups ({string.Join(", ", declared.Select(d => d.Name))})");
            }

            if (!membership.Data.Sensitive.Contains(attribute.Column, StringComparer.Ordinal))
            {
                return (AttributeRule, $"column '{attribute.Column}' (attribute '{name}') is not one this site declares sensitive (data.sensitive: {string.Join(", ", membership.Data.Sensitive)})");
            }
        }

        bool secureRequired = job.Engine.SecureAggregation is not null || policy.Protections.SecureAggregationRequired;
        if (task.SecureSession is not { } session)
        {
            return secureRequired
                ? (SecureRule, "the job (or this site's policy) uses secure aggregation, so its audit counts leave the site only masked, in a secure-aggregation session")
                : null;
        }

        if (session.JobId != DeployedFairnessAudit.SessionJobId(task.AuditedRun) || !session.Participants.Order(StringComparer.Ordinal).SequenceEqual(task.Sites.Order(StringComparer.Ordinal), StringComparer.Ordinal))
        {
            return (SecureRule, "the session is not this audit's: its id must name the audited run and its participants must be the audit's sites");
        }

        ConsortiumRoster? roster = new RosterStore(membership.StateFolder).Accepted();
        return SecureSessionRules.Problem(site, session, task.Participant, roster, canSign: true, policy);
    }

    /// <summary>The site's counts on its test data, the cells it withheld, or why the model does not fit.</summary>
    private (long[] Counts, IReadOnlyList<string> Withheld, string? ModelProblem) Count(FairnessAuditTask task, JobDefinition job, NodeMembership membership, int minimumCellCount)
    {
        NodeDataConfig local = membership.Data;
        FederatedDataset dataset = FederatedDataLoader.Load(job.Data with { Path = local.Path, Contract = local.Contract ?? job.Data.Contract }, config.State);
        SiteData own = dataset.Sites.FirstOrDefault(s => string.Equals(s.Name, local.Site, StringComparison.Ordinal))
            ?? throw new InvalidDataException($"the local dataset has no site named '{local.Site}'.");
        ModelSpec spec = job.ModelFor(own.Test.FeatureCount);
        if (!task.Parameters.Layout.Equals(spec.CreateLayout()) || !task.Parameters.IsFinite())
        {
            return ([], [], $"the audited parameters do not fit the job's {spec.Kind} model on this site's {own.Test.FeatureCount} features");
        }

        IReadOnlyList<SensitiveVariable> attributes = [.. task.Attributes.Select(n => job.Fairness!.Groups.First(g => g.Name == n))];
        // The audit's site list is the coordinator's; the site attribute's group of this site is its own name.
        FairnessAudit audit = new(attributes, task.Sites, task.Threshold);
        IModel model = spec.CreateModel(Math.Max(1, own.Test.Count));
        SiteFairnessCounts counts;
        if (dataset.Task == LearningTask.Survival)
        {
            float[] risks = new float[own.Test.Count];
            model.Predict(task.Parameters.Values, own.Test.Features, risks);
            counts = SurvivalFairnessCounts.Compute(audit, site.Value, risks, own.Test.Times, own.Test.Labels, SiteFairnessCounts.GroupsOf(attributes, own, own.Test), minimumCellCount);
        }
        else
        {
            counts = SiteFairnessCounts.Compute(audit, own with { Name = site.Value }, model, task.Parameters.Values, minimumCellCount);
        }

        return ([.. counts.Counts], [.. counts.Suppressed.Select(c => c.Attribute + "=" + c.Group)], null);
    }

    /// <summary>Records the audit as answered, or says why the run's cap refuses it.</summary>
    private string? CountAudit(FairnessAuditTask task, JobDefinition job, SitePolicy policy)
    {
        if (!ReceivedModelsOnly)
        {
            return null;
        }

        int cap = policy.Outputs.MaxAuditsPerJob ?? OutputPolicy.DefaultMaxAuditsPerJob;
        lock (_capGate)
        {
            // The site's own ledger counts, so a restart of the node does not reset the cap.
            int answered = ledger().ReadEntries().Select(e => e.Event)
                .Count(e => e.RunId == task.AuditedRun && e is PolicyDecisionEvent { Accepted: true } d && d.Rules.Any(r => r.Rule == CapRule));
            if (answered >= cap)
            {
                return $"the site already answered {answered} fairness audit(s) of job run '{task.AuditedRun}'; its policy allows {cap} (outputs.max_audits_per_job)";
            }

            ledger().Append(new PolicyDecisionEvent(job.Name, task.Round.Value, true, policy.Version, policy.Sha256, [new RuleResult(CapRule, true, $"audit {answered + 1} of at most {cap} for this job run")]) { RunId = task.AuditedRun });
            return null;
        }
    }

    private Refused Refuse(FairnessAuditTask task, JobDefinition? job, SitePolicy? policy, string rule, string reason)
    {
        LogRefused(site.Value, task.AuditedRun, rule, reason);
        ledger().Append(new PolicyDecisionEvent(job?.Name ?? task.AuditedRun, task.Round.Value, false, policy?.Version, policy?.Sha256, [new RuleResult(rule, false, reason)]) { RunId = task.AuditedRun });
        return new Refused(site, task.Round, rule, reason);
    }

    private static PolicyEvaluator Policy(NodeMembership membership) =>
        membership.Policy is { } path ? PolicyEvaluator.FromFile(path) : new PolicyEvaluator(null);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: refused the fairness audit of job run {Run} ({Rule}): {Reason}")]
    private partial void LogRefused(string site, string run, string rule, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "site {Site}: refused the fairness audit of job run {Run}: its job file does not parse: {Detail}")]
    private partial void LogInvalidJob(string site, string run, string detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "site {Site}: released its fairness-audit counts of job run {Run} ({Withheld} cell(s) withheld below the minimum cell count)")]
    private partial void LogReleased(string site, string run, int withheld);

    [LoggerMessage(Level = LogLevel.Information, Message = "site {Site}: joined the secure aggregation of the fairness audit of job run {Run} ({Withheld} cell(s) withheld below the minimum cell count)")]
    private partial void LogJoined(string site, string run, int withheld);

    [LoggerMessage(Level = LogLevel.Error, Message = "site {Site}: the fairness audit of job run {Run} failed")]
    private partial void LogAuditFailed(string site, string run, Exception error);
}
