using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites.Guards;
using Consortia.Federation.Sites.Local;
using Consortia.Federation.Sites.Pipeline;
using Consortia.Governance.Audit;
using Consortia.Governance.Policies;
using Consortia.Governance.Roster;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Privacy.Budget;
using Consortia.Privacy.Distributed;
using Consortia.Privacy.Mechanisms;
using Consortia.SecureAggregation.Crypto;

namespace Consortia.Federation.Sites;

/// <summary>
/// The one composition of a site for a job, used by simulation and by deployed nodes alike: its data, its
/// policy, its privacy budget and audit ledger, its randomness, its saved state and its clock, wired into a <see cref="SiteAgent"/>
/// with its guards (task against the accepted job, policy, one contribution per round, budget) and its update pipeline (clip → noise → weight → quantise → mask).
/// </summary>
/// <remarks>
/// Fail closed: without a <see cref="Policy"/> the site refuses every job, in simulation as on a node.
/// The builder opens nothing: the caller owns the ledgers it passes and disposes them after the agent.
/// </remarks>
/// <example>
/// <code>
/// SiteAgent agent = new SiteBuilder
/// {
///     Job = job, Site = site, Train = train, Test = test, Task = task,
///     Randomness = SiteRandomness.Cryptographic, Time = time, StatePath = statePath,
///     Policy = PolicyEvaluator.FromFile(policyPath), Budget = budget, Audit = ledger,
/// }.Build();
/// </code>
/// </example>
public sealed class SiteBuilder
{
    /// <summary>The job the site takes part in (model, training, metrics; its policy view is <see cref="JobDefinition.Describe"/>).</summary>
    public required JobDefinition Job { get; init; }

    /// <summary>The site's name.</summary>
    public required SiteId Site { get; init; }

    /// <summary>The site's own training data.</summary>
    public required Dataset Train { get; init; }

    /// <summary>The site's own test data.</summary>
    public required Dataset Test { get; init; }

    /// <summary>The learning task of the data (it sets the default metrics).</summary>
    public required LearningTask Task { get; init; }

    /// <summary>Where the site's random choices come from: <see cref="SiteRandomness.Cryptographic"/> at a deployed site, <see cref="SiteRandomness.Seeded"/> in simulation.</summary>
    public required SiteRandomness Randomness { get; init; }

    /// <summary>The clock for the policy's schedule; the caller opens the ledgers with the same one.</summary>
    public required TimeProvider Time { get; init; }

    /// <summary>The site's policy.</summary>
    /// <value>Default <see langword="null"/>: the site refuses every job (rule <c>policy</c>) and releases no metric.</value>
    public PolicyEvaluator? Policy { get; init; }

    /// <summary>The site's lifetime privacy budget ledger, opened from the site's own policy or configuration (never the job's).</summary>
    /// <value>Default <see langword="null"/>: the site has no budget and refuses every DP round (rule <c>dp-budget</c>).</value>
    public PrivacyBudgetLedger? Budget { get; init; }

    /// <summary>Why the site has no <see cref="Budget"/> although it configures one (e.g. its ledger file holds another budget).</summary>
    /// <value>Default <see langword="null"/>. When set, DP rounds are refused with this reason instead of the generic one.</value>
    public string? BudgetProblem { get; init; }

    /// <summary>The site's audit ledger.</summary>
    /// <value>Default <see langword="null"/>: nothing is recorded.</value>
    public AuditLedger? Audit { get; init; }

    /// <summary>The file where the site saves what it carries from round to round of this job (SCAFFOLD's cᵢ, the job's privacy account), so that a restarted site continues the job exactly.</summary>
    /// <value>Default <see langword="null"/>: kept in memory only.</value>
    public string? StatePath { get; init; }

    /// <summary>The protections against a malicious coordinator; every site has them all. Only the red team weakens them (<c>redteam coordinator --unprotected</c>).</summary>
    internal RedTeam.SiteProtections Protections { get; init; } = RedTeam.SiteProtections.All;

    /// <summary>The file where the site records what it gave this job run (the last round it contributed to, the evaluations
    /// it released), so that a restarted site still contributes to each round once.</summary>
    /// <value>Default <see langword="null"/>: kept in memory for the agent's lifetime (simulation).</value>
    public string? RoundStatePath { get; init; }

    /// <summary>The site's long-term signing key: it signs the site's secure-aggregation advertisements and consistency signatures (and, on a node, its ledger and roster entry).</summary>
    /// <value>Default <see langword="null"/>: the site refuses secure-aggregation tasks (rule <c>secagg-roster</c>).</value>
    public ILedgerSigner? SigningKey { get; init; }

    /// <summary>The consortium roster this site accepted: the only keys it authenticates secure-aggregation peers with.</summary>
    /// <value>Default <see langword="null"/>: the site refuses secure-aggregation tasks (rule <c>secagg-roster</c>).</value>
    public ConsortiumRoster? Roster { get; init; }

    /// <summary>Whether <see cref="Roster"/> is a roster the site accepted (a deployed node), so agreement signatures count only by
    /// the keys it lists; a simulation's made-up keys vouch for no agreement signer, and it sets this to <see langword="false"/>.</summary>
    internal bool RosterIsAccepted { get; init; } = true;

    /// <summary>Simulation's poisoning drill: this site attacks the federation as described; <see langword="null"/> for an honest site (always, outside simulation).</summary>
    internal Jobs.MaliciousSite? Attack { get; init; }

    /// <summary>The run of the job (the coordinator's id of this submission), written in the site's ledger beside the job's name; <see langword="null"/> for none.</summary>
    public string? RunId { get; init; }

    /// <summary>Builds the site's agent.</summary>
    /// <returns>The agent, ready for the job's tasks.</returns>
    /// <exception cref="ArgumentException">The job's model does not fit the data.</exception>
    /// <exception cref="InvalidDataException">The <see cref="RoundStatePath"/> file exists but is unreadable.</exception>
    public SiteAgent Build()
    {
        ArgumentNullException.ThrowIfNull(Job);
        ArgumentNullException.ThrowIfNull(Site.Value, nameof(Site));
        ArgumentNullException.ThrowIfNull(Train);
        ArgumentNullException.ThrowIfNull(Test);
        ArgumentNullException.ThrowIfNull(Randomness);
        ArgumentNullException.ThrowIfNull(Time);
        ModelSpec spec = Job.ModelFor(Train.FeatureCount);
        spec.Validate();
        SiteAudit audit = new(Audit, Job.Name, RunId);
        audit.RandomnessInForce(Randomness.IsPrivate);
        SitePrivacyAccount privacy = new(Site, Budget, Job.Name);
        DpCalibration calibration = new(Train.Count);
        DistributedCalibration distributed = new(Job.ClientDp);
        BudgetGuard budget = new(Site, Budget, BudgetProblem, calibration, distributed, privacy, audit);
        PolicyEvaluator evaluator = Policy ?? new PolicyEvaluator(null);
        SiteRoundState state = new(RoundStatePath);
        TaskGuard? job = Protections.HasFlag(RedTeam.SiteProtections.TaskPinning) ? new(Site, Job, evaluator.Policy, audit, spec.CreateLayout().Length) : null;
        PolicyGuard policy = new(Site, evaluator, Job.Describe(), Time, Budget, audit, budget.Preview);
        AgreementGuard? agreement = AgreementGuard.For(Site, evaluator.Policy, Job.Describe(), Time, Budget, audit, RosterIsAccepted ? Roster : null);
        SiteTrainer trainer = new(spec, Attack?.Poison(Train) ?? Train, Randomness, Job.Training.BatchSize, calibration, privacy) { UpdateScale = Attack?.UpdateScale ?? 1f };
        if (Job.Personalisation is { } personalisation)
        {
            trainer.Personalise(personalisation, Job.Training);
        }

        UpdatePipeline pipeline = new([new ClientClipStage(), new NoiseStage(distributed, Randomness), new WeightStage(), new QuantiseStage(Randomness), new MaskStage(SystemSecureRandom.Instance, SigningKey is null ? null : new SiteSigner(SigningKey), Roster)]);
        SiteEvaluator evaluation = new(Site, trainer, Test, Job.MetricsFor(Task), policy, audit, Protections.HasFlag(RedTeam.SiteProtections.EvaluationPolicy) ? state : null) { Agreement = agreement, Personalisation = trainer.Personalisation };
        ISiteGuard[] guards =
        [
            .. job is null ? Array.Empty<ISiteGuard>() : [job],
            policy,
            .. agreement is null ? Array.Empty<ISiteGuard>() : [agreement],
            .. Protections.HasFlag(RedTeam.SiteProtections.AuthenticatedSecureAggregation) ? [new SecureSessionGuard(Site, Roster, SigningKey is not null, evaluator, audit)] : Array.Empty<ISiteGuard>(), // off only in the red team's weakened sites
            .. Protections.HasFlag(RedTeam.SiteProtections.OneContributionPerRound) ? [new RoundClaimGuard(Site, state, audit, evaluator.Policy?.Protections.MaxAttemptsPerRound ?? ProtectionPolicy.DefaultMaxAttemptsPerRound)] : Array.Empty<ISiteGuard>(),
            budget,
        ];
        return new SiteAgent(Site, Train.Count, job, guards, trainer, pipeline, evaluation, privacy, audit, StatePath is { } saved ? SiteJobState.Open(saved) : null);
    }
}
