using System.Collections.Immutable;
using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;

namespace Consortia.Federation.Jobs;

/// <summary>A validated job: data, model, training, strategy, evaluation and baselines.</summary>
public sealed record JobDefinition
{
    /// <summary>The <c>fairness:</c> section (sensitive attributes audited, mitigation), or <see langword="null"/>.</summary>
    public FairnessSettings? Fairness { get; init; }

    /// <summary>The job name.</summary>
    public required string Name { get; init; }

    /// <summary>The consortium of a job that names none (<c>consortium:</c> absent).</summary>
    public const string DefaultConsortium = "simulation";

    /// <summary>
    /// The consortium the job belongs to (<c>consortium:</c>): checked by site policies and agreements; a coordinator
    /// hosting several consortia routes the job to this one's roster, agreement and ledger.
    /// </summary>
    public string Consortium { get; init; } = DefaultConsortium;

    /// <summary>
    /// Whether the job file named its consortium; a job that names none goes to a coordinator's default consortium
    /// (its home's own roster and ledger).
    /// </summary>
    public bool NamesConsortium { get; init; }

    /// <summary>Who submits the job (checked by site policies).</summary>
    public string Owner { get; init; } = "unspecified";

    /// <summary>The purpose code the job declares (<c>purpose:</c>), checked against a consortium agreement; <see langword="null"/> for none.</summary>
    public string? Purpose { get; init; }

    /// <summary>The job seed from which every random choice derives.</summary>
    public required ulong Seed { get; init; }

    /// <summary>Where the data is and how it is split and preprocessed.</summary>
    public required DataSourceOptions Data { get; init; }

    /// <summary>The model family.</summary>
    public required ModelKind ModelKind { get; init; }

    /// <summary>Hidden layer widths (MLP only).</summary>
    public ImmutableArray<int> HiddenLayers { get; init; } = [];

    /// <summary>L2 penalty on weights.</summary>
    public float L2 { get; init; }

    /// <summary>Rounds, evaluation schedule and minimum participants.</summary>
    public required RoundEngineOptions Engine { get; init; }

    /// <summary>The strategy and its options.</summary>
    public StrategySettings Strategy { get; init; } = new();

    /// <summary>Local training at each site in every round.</summary>
    public required LocalTrainingOptions Training { get; init; }

    /// <summary>Evaluation metrics; <see langword="null"/> means the task's defaults.</summary>
    public IReadOnlyList<MetricKind>? Metrics { get; init; }

    /// <summary>Baselines to run beside the federated job in simulation.</summary>
    public BaselineOptions? Baselines { get; init; }

    /// <summary>The data columns the job declares it reads (checked against site policies' allow-lists).</summary>
    public IReadOnlyList<string> Columns { get; init; } = [];

    /// <summary>Simulation only: each simulated site's policy file (full paths by site name; key <c>default</c> for the rest).</summary>
    public IReadOnlyDictionary<string, string>? Policies { get; init; }

    /// <summary>How each site personalises the federated model (<c>personalisation:</c>), or <see langword="null"/> for none.</summary>
    public PersonalisationSettings? Personalisation { get; init; }

    /// <summary>Simulation only: the poisoning drill's malicious sites (<c>simulation.malicious</c>); empty for none. Deployed nodes never read it.</summary>
    public IReadOnlyList<MaliciousSite> Malicious { get; init; } = [];

    /// <summary>The job file this definition was read from, if any.</summary>
    public string? SourcePath { get; init; }

    /// <summary>The job file's text, for hashing into reports and ledgers.</summary>
    public string? SourceText { get; init; }

    /// <summary>
    /// The job's identity as sites pin it: the SHA-256 of the job file's text (of the name for a job built in code). A
    /// deployed node computes it from the YAML it accepted; every task the coordinator sends carries it.
    /// </summary>
    public string ContentSha256 => Governance.Audit.Sha256Hex.OfText(SourceText ?? Name);

    /// <summary>The job's <c>scheduling:</c> section (selection, deadline, over-selection, capacity-sized work), or <see langword="null"/> for the strategy's own selection.</summary>
    public Strategies.Scheduling.SchedulingOptions? Scheduling { get; init; }

    /// <summary>Simulation only: the <c>simulation.profiles</c> section (each site's speed, network and availability), or <see langword="null"/> for a timeless simulation.</summary>
    public Simulation.Profiles.SimulationProfiles? Profiles { get; init; }

    /// <summary>Client-level DP-FedAvg (the strategy is wrapped in <see cref="Strategies.ClientDp.ClientDpStrategy"/>), or <see langword="null"/>.</summary>
    public Strategies.ClientDp.ClientDpSettings? ClientDp { get; init; }

    /// <summary>Builds the job's strategy; with client-level DP the central noise comes from the operating system's CSPRNG.</summary>
    /// <returns>A new strategy instance.</returns>
    public Strategies.IStrategy CreateStrategy() => CreateStrategy(Strategies.ClientDp.ClientDpStrategy.CryptographicNoise);

    /// <summary>Builds the job's strategy with the given central noise (used only with client-level DP).</summary>
    /// <param name="centralNoise">The coordinator's noise source for a round: <see cref="Strategies.ClientDp.ClientDpStrategy.SeededNoise"/>
    /// in tests and simulation, <see cref="Strategies.ClientDp.ClientDpStrategy.CryptographicNoise"/> otherwise.</param>
    /// <returns>A new strategy instance.</returns>
    public Strategies.IStrategy CreateStrategy(Func<Strategies.RoundInput, Privacy.Mechanisms.INoiseSource> centralNoise)
    {
        ArgumentNullException.ThrowIfNull(centralNoise);
        Strategies.IStrategy strategy = Strategy.Create(Training);
        strategy = ClientDp is { } clientDp ? new Strategies.ClientDp.ClientDpStrategy(strategy, clientDp, centralNoise) : strategy;
        return Scheduling is { } scheduling ? new Strategies.Scheduling.ScheduledStrategy(strategy, scheduling) : strategy;
    }

    /// <summary>The model specification for data with <paramref name="featureCount"/> features.</summary>
    /// <param name="featureCount">The number of input features.</param>
    /// <returns>The specification.</returns>
    public ModelSpec ModelFor(int featureCount) => new(ModelKind, featureCount, ModelKind == ModelKind.Mlp ? HiddenLayers : [], L2);

    /// <summary>The metrics to report for <paramref name="task"/>.</summary>
    /// <param name="task">The learning task.</param>
    /// <returns>The job's metrics, or the task's defaults.</returns>
    public IReadOnlyList<MetricKind> MetricsFor(LearningTask task) => Metrics ?? task switch
    {
        LearningTask.Survival => [MetricKind.ConcordanceIndex],
        _ => [MetricKind.Accuracy, MetricKind.RocAuc, MetricKind.LogLoss, MetricKind.BrierScore],
    };

    /// <summary>
    /// The job as a site policy sees it: the one description used by simulated sites, deployed nodes,
    /// <c>consortia policy check</c> and reports, so that all of them reach the same verdict.
    /// </summary>
    /// <returns>What the site's policy evaluates.</returns>
    public Governance.Policies.JobDescriptor Describe()
    {
        bool secure = Engine.SecureAggregation is not null;
        Governance.Policies.DpDescriptor? dp = Engine.Dp is { } d
            ? new Governance.Policies.DpDescriptor(Governance.Policies.DpMode.SampleLevel, d.Options.TargetEpsilon ?? double.PositiveInfinity, d.Options.Delta)
            : ClientDp is { } c
                ? new Governance.Policies.DpDescriptor(Governance.Policies.DpMode.ClientLevel, c.Options.TargetEpsilon ?? (c.Options.NoiseMultiplier is double z ? Privacy.ClientLevel.ClientLevelAccounting.Epsilon(z, c.TotalRounds, c.Options.Delta).Epsilon : double.PositiveInfinity), c.Options.Delta) { CentralNoise = !c.IsDistributed }
                : null;
        string model = ModelKind switch { ModelKind.Logistic => "logistic", ModelKind.Mlp => "mlp", _ => "cox" };
        return new Governance.Policies.JobDescriptor(
            Name, Consortium, Owner, model, JobFile.NameOf(Strategy.Kind), secure, Engine.MinimumParticipants, dp,
            [secure ? Governance.Policies.KnownNames.MaskedUpdates : Governance.Policies.KnownNames.PlainUpdates, Governance.Policies.KnownNames.AggregateMetrics],
            Columns)
        { Rounds = Engine.Rounds, Purpose = Purpose };
    }
}
