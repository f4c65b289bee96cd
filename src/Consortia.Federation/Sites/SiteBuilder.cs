using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Federation.Sites.Guards;
using Consortia.Federation.Sites.Local;
using Consortia.Federation.Sites.Pipeline;
using Consortia.Governance.Audit;
using Consortia.Governance.Policies;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Privacy.Budget;
using Consortia.Privacy.Mechanisms;
using Consortia.SecureAggregation.Crypto;

namespace Consortia.Federation.Sites;

/// <summary>
/// The one composition of a site for a job, used by simulation and by deployed nodes alike: its data, its
/// policy, its privacy budget and audit ledger, its randomness and its clock, wired into a <see cref="SiteAgent"/>
/// with its guards (policy, budget) and its update pipeline (clip → weight → quantise → mask).
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
///     Random = new RandomSource(job.Seed).Derive("site").Derive(index), Time = time,
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

    /// <summary>The site's random source: training and quantisation draws (derived from the job seed and the site so that runs reproduce).</summary>
    public required RandomSource Random { get; init; }

    /// <summary>The clock for the policy's schedule; the caller opens the ledgers with the same one.</summary>
    public required TimeProvider Time { get; init; }

    /// <summary>The site's policy.</summary>
    /// <value>Default <see langword="null"/>: the site refuses every job (rule <c>policy</c>) and releases no metric.</value>
    public PolicyEvaluator? Policy { get; init; }

    /// <summary>The site's lifetime privacy budget ledger.</summary>
    /// <value>Default <see langword="null"/>: DP rounds are accounted for the job but not charged to a lifetime budget.</value>
    public PrivacyBudgetLedger? Budget { get; init; }

    /// <summary>The site's audit ledger.</summary>
    /// <value>Default <see langword="null"/>: nothing is recorded.</value>
    public AuditLedger? Audit { get; init; }

    /// <summary>The run of the job (the coordinator's id of this submission), written in the site's ledger beside the job's name; <see langword="null"/> for none.</summary>
    public string? RunId { get; init; }

    /// <summary>The Gaussian noise source for DP-SGD; the agent disposes it when it is disposable.</summary>
    /// <value>Default: the operating system's cryptographic generator. Simulation passes a seeded one so that runs reproduce.</value>
    public INoiseSource? Noise { get; init; }

    /// <summary>Builds the site's agent.</summary>
    /// <returns>The agent, ready for the job's tasks.</returns>
    /// <exception cref="ArgumentException">The job's model does not fit the data.</exception>
    public SiteAgent Build()
    {
        ArgumentNullException.ThrowIfNull(Job);
        ArgumentNullException.ThrowIfNull(Site.Value, nameof(Site));
        ArgumentNullException.ThrowIfNull(Train);
        ArgumentNullException.ThrowIfNull(Test);
        ArgumentNullException.ThrowIfNull(Random);
        ArgumentNullException.ThrowIfNull(Time);
        ModelSpec spec = Job.ModelFor(Train.FeatureCount);
        spec.Validate();
        INoiseSource noise = Noise ?? new CryptographicNoiseSource();
        SiteAudit audit = new(Audit, Job.Name, RunId);
        SitePrivacyAccount privacy = new(Site, Budget);
        DpCalibration calibration = new(Train.Count);
        PolicyGuard policy = new(Site, Policy ?? new PolicyEvaluator(null), Job.Describe(), Time, Budget, audit);
        SiteTrainer trainer = new(spec, Train, Random, Job.Training.BatchSize, noise, calibration, privacy);
        UpdatePipeline pipeline = new([new ClientClipStage(), new WeightStage(), new QuantiseStage(Random), new MaskStage(SystemSecureRandom.Instance)]);
        SiteEvaluator evaluator = new(Site, trainer.Model, Test, Job.MetricsFor(Task), policy, audit);
        return new SiteAgent(
            Site, Train.Count, [policy, new BudgetGuard(Site, Budget, calibration, privacy, audit)], trainer, pipeline, evaluator, privacy, audit, noise as IDisposable);
    }
}
