using System.Globalization;
using Consortia.Data;
using Consortia.Federation.Engine;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Federation.Transport;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Governance.Roster;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Quantization;

namespace Consortia.Federation.RedTeam;

/// <summary>
/// A malicious coordinator, in the product: runs the attacks of the zero-trust threat model (docs/security-model.md)
/// against real site agents — composed by <see cref="SiteBuilder"/> exactly as simulated and deployed sites are,
/// on the shipped heart-disease data — and reports, per attack, whether the sites stopped it and what the attacker
/// obtained.
/// </summary>
/// <remarks>
/// The attacker holds the coordinator: it writes the tasks, chooses the job seed, runs the secure-aggregation server
/// and sees everything sent to it; it cannot read the sites' memory or their cryptographic generators. Each attack
/// knows the ground truth only to grade itself (a twin of the victim under a permissive policy computes the update
/// the attacker tries to recover). With <c>unprotected</c> the sites run without their protections against the
/// coordinator (<see cref="SiteProtections.None"/>), a configuration that exists only here, so the suite can fail.
/// </remarks>
public static partial class CoordinatorRedTeam
{
    private const string Columns = "[age, sex, cp, trestbps, chol, fbs, restecg, thalach, exang, oldpeak, target]";

    /// <summary>Secure aggregation, as a job file's <c>privacy:</c> section (the victims' jobs that use it).</summary>
    public const string SecureAggregationSection = "privacy:\n  secure_aggregation:\n    clip_range: 100\n    dropout: 0.25\n";

    /// <summary>The job file of an attack: logistic regression on the heart-disease data, FedAvg, seed 42, at least 3 participants.</summary>
    /// <param name="name">The attack's short name (the job is <c>redteam-NAME</c>).</param>
    /// <param name="heartDiseaseData">The heart-disease folder.</param>
    /// <param name="privacy">The job's <c>privacy:</c> section, e.g. <see cref="SecureAggregationSection"/>, or empty.</param>
    /// <returns>The YAML text.</returns>
    public static string JobText(string name, string heartDiseaseData, string privacy) => $"""
        version: 1
        name: redteam-{name}
        consortium: heart-consortium
        owner: redteam@coordinator.example.org
        seed: 42
        data:
          format: flamby-heart-disease
          path: {heartDiseaseData}
          columns: {Columns}
        model:
          kind: logistic
        training:
          rounds: 3
          local_steps: 20
          batch_size: 8
          min_participants: 3
          optimizer:
            kind: sgd
            learning_rate: 0.05
        strategy:
          kind: fedavg

        """ + privacy;

    /// <summary>A victim hospital's policy file.</summary>
    /// <param name="strict"><see langword="true"/>: secure aggregation over at least three sites, never a plain update; <see langword="false"/>: plain updates allowed.</param>
    /// <returns>The YAML text.</returns>
    public static string PolicyText(bool strict) => $"""
        version: 1
        consortia: [heart-consortium]
        owners: [redteam@coordinator.example.org]
        models: [logistic]
        strategies: [fedavg]
        protections:
          secure_aggregation: {(strict ? "true" : "false")}
          min_sites_per_aggregate: {(strict ? 3 : 1)}
          differential_privacy:
            required: false
            epsilon_ceiling_per_job: 8.0
            lifetime_epsilon_budget: 1000.0
            delta: 1.0e-5
        outputs:
          masked_updates: true
          plain_updates: {(strict ? "false" : "true")}
          aggregate_metrics: true
          min_cell_count: 10
        columns: {Columns}

        """;

    /// <summary>Runs every attack.</summary>
    /// <param name="heartDiseaseData">The FLamby heart-disease folder (the four UCI files), e.g. <c>data/fed-heart-disease</c>.</param>
    /// <param name="unprotected">Whether to attack the weakened configuration instead of the product as shipped.</param>
    /// <param name="cancellationToken">Cancels the attacks.</param>
    /// <returns>The report.</returns>
    /// <exception cref="DataConfigurationException">The data folder cannot be read.</exception>
    public static async Task<RedTeamReport> RunAsync(string heartDiseaseData, bool unprotected, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(heartDiseaseData);
        string folder = Directory.CreateTempSubdirectory("consortia-redteam-").FullName;
        try
        {
            Arena arena = new(Path.GetFullPath(heartDiseaseData), folder, unprotected ? SiteProtections.None : SiteProtections.All);
            List<AttackOutcome> outcomes =
            [
                await DowngradeAsync(arena, cancellationToken).ConfigureAwait(false),
                await RepeatedRoundAsync(arena, cancellationToken).ConfigureAwait(false),
                await EvaluationOutsidePolicyAsync(arena, cancellationToken).ConfigureAwait(false),
                await PublicSamplingAsync(arena, cancellationToken).ConfigureAwait(false),
                await PuppetAsync(arena, cancellationToken).ConfigureAwait(false),
                await ThresholdAsync(arena, cancellationToken).ConfigureAwait(false),
                await HostileIndexAsync(arena, cancellationToken).ConfigureAwait(false),
            ];
            return new RedTeamReport(unprotected ? "unprotected" : "protected", outcomes);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Protection downgrade (issue 12, attack 2): the site's policy requires secure aggregation and the job it accepted
    /// uses it; the coordinator sends a task without a secure session, claiming enough participants, hoping for the
    /// raw update.
    /// </summary>
    private static async Task<AttackOutcome> DowngradeAsync(Arena arena, CancellationToken cancellationToken)
    {
        const string Name = "downgrade";
        JobDefinition job = arena.Job("downgrade", Arena.SecureAggregation);
        using Victims sites = arena.Sites(job, Arena.StrictPolicy);
        SiteAgent victim = sites.Agents[0];
        return GradeDowngrade(Name, await victim.HandleAsync(DowngradeTask(job, victim.Site, arena.Initial(job)), cancellationToken).ConfigureAwait(false));
    }

    /// <summary>
    /// Repeated rounds (issue 12, attack 3): the coordinator runs round 1 four times under secure aggregation, each time
    /// with a different three of the four sites, and solves the four sums for every site's own update.
    /// </summary>
    private static async Task<AttackOutcome> RepeatedRoundAsync(Arena arena, CancellationToken cancellationToken)
    {
        const string Name = "repeated-round";
        JobDefinition job = arena.Job("repeated", Arena.SecureAggregation);
        using Victims sites = arena.Sites(job, Arena.StrictPolicy);
        GlobalModel model = new(arena.Spec(job), arena.Initial(job), new RoundNumber(0));
        int n = sites.Agents.Length;
        ParameterVector[] sums = new ParameterVector[n]; // sums[j]: Σ over every site but j of nᵢΔᵢ
        for (int left = 0; left < n; left++)
        {
            CapturingStrategy strategy = new(job.CreateStrategy());
            RoundEngine engine = new(new InProcessSiteTransport([.. sites.Agents.Where((_, i) => i != left)]), strategy, job.Engine, TimeProvider.System) { JobSha256 = job.ContentSha256 };
            (_, _, RoundReport report) = await engine.RunRoundAsync(new RoundNumber(1), model, strategy.InitialState(model), new RandomSource(job.Seed), evaluate: false, cancellationToken).ConfigureAwait(false);
            if (strategy.Captured is not SummedUpdates sum)
            {
                string why = report.Refusals.Count > 0
                    ? string.Join("; ", report.Refusals.Select(r => $"{r.Site} refused (rule {r.Rule})"))
                    : report.AggregationFailure ?? string.Join("; ", report.Failures.Select(Describe));
                return new AttackOutcome(Name, true, Invariant($"repetition {left + 1} of round 1 produced no sum: {why}"));
            }

            sums[left] = sum.WeightedSum;
        }

        // Σⱼ sums[j] = (n − 1)·T, so T = Σⱼ sums[j] / (n − 1) and site j's weighted update is T − sums[j].
        int length = model.Parameters.Length;
        double[] total = new double[length];
        foreach (ParameterVector sum in sums)
        {
            for (int k = 0; k < length; k++)
            {
                total[k] += sum.Values[k] / (n - 1.0);
            }
        }

        // Ground truth, for grading only: the same sites' updates for round 1, computed by twins that send them in the clear.
        JobDefinition twinJob = arena.Job("repeated", privacy: string.Empty); // the same training, sent in the clear
        using Victims twins = arena.Sites(twinJob, Arena.PermissivePolicy);
        double worst = 0, scale = 0;
        for (int j = 0; j < n; j++)
        {
            TrainTask plain = new(twins.Agents[j].Site, new RoundNumber(1), model.Parameters, job.Training) { Participants = n, JobSha256 = twinJob.ContentSha256 };
            if (await twins.Agents[j].HandleAsync(plain, cancellationToken).ConfigureAwait(false) is not TrainingCompleted truth)
            {
                throw new InvalidOperationException("The red team's reference site did not train.");
            }

            for (int k = 0; k < length; k++)
            {
                double estimate = total[k] - sums[j].Values[k];
                worst = Math.Max(worst, Math.Abs(estimate - truth.Update.WeightedDelta.Values[k]));
                scale = Math.Max(scale, Math.Abs(truth.Update.WeightedDelta.Values[k]));
            }
        }

        bool recovered = worst <= 0.01 * scale;
        string outcome = Invariant($"every site answered round 1 four times; solving the four secure sums gives each site's weighted update with max error {worst:G3} against its largest coordinate {scale:G3}");
        return new AttackOutcome(Name, !recovered, outcome + (recovered ? ": every individual update recovered" : ": the repeated rounds used fresh site randomness, nothing recovered to 1 %"));
    }

    /// <summary>
    /// Evaluation outside the policy (issue 12, attack 5): the site refused the job, and the coordinator asks it to
    /// evaluate a model the coordinator crafted on the site's test data anyway.
    /// </summary>
    private static async Task<AttackOutcome> EvaluationOutsidePolicyAsync(Arena arena, CancellationToken cancellationToken)
    {
        const string Name = "evaluation-outside-policy";
        JobDefinition job = arena.Job("evaluation", privacy: ""); // no secure aggregation: the strict policy refuses the job
        using Victims sites = arena.Sites(job, Arena.StrictPolicy);
        SiteAgent victim = sites.Agents[0];
        SiteReply training = await victim.HandleAsync(new TrainTask(victim.Site, new RoundNumber(1), arena.Initial(job), job.Training) { Participants = 4, JobSha256 = job.ContentSha256 }, cancellationToken).ConfigureAwait(false);
        ParameterVector crafted = arena.Initial(job);
        crafted.Values.Fill(0.5f);
        SiteReply evaluation = await victim.HandleAsync(new EvaluateTask(victim.Site, new RoundNumber(1), crafted) { Contributors = 4, JobSha256 = job.ContentSha256 }, cancellationToken).ConfigureAwait(false);
        string refusal = training is Refused r ? $"the site refused the job (rule {r.Rule})" : $"the site answered training with {Describe(training)}";
        MetricValue[] released = evaluation is EvaluationCompleted done ? [.. done.Report.Metrics.Where(m => double.IsFinite(m.Value))] : [];
        return released.Length > 0
            ? new AttackOutcome(Name, false, Invariant($"{refusal}, then released {released[0].Kind} = {released[0].Value:G4} over {((EvaluationCompleted)evaluation).Report.Examples} test records for a model the coordinator crafted"))
            : new AttackOutcome(Name, true, $"{refusal}; the evaluation released no metric ({Describe(evaluation)})");
    }

    /// <summary>
    /// Public sampling (issue 12, attack 6): the coordinator chose the job seed; if the site's DP-SGD batches and noise
    /// derive from it, the coordinator can replay the site's training on candidate data and match its update exactly,
    /// so neither the noise nor amplification by sampling protects anyone. The worst-case DP adversary knows the data:
    /// the attacker replays with the site's own records and the seed-derived randomness the site would use.
    /// </summary>
    private static async Task<AttackOutcome> PublicSamplingAsync(Arena arena, CancellationToken cancellationToken)
    {
        const string Name = "public-sampling";
        JobDefinition job = arena.Job("sampling", Arena.SampleLevelDp);
        using Victims sites = arena.Sites(job, Arena.PermissivePolicy);
        using Victims replay = arena.Sites(job, Arena.PermissivePolicy, SiteProtections.None); // the attacker's replay: seed-derived randomness
        SiteAgent victim = sites.Agents[0];
        TrainTask task = new(victim.Site, new RoundNumber(1), arena.Initial(job), job.Training, Dp: job.Engine.Dp) { Participants = 4, JobSha256 = job.ContentSha256 };
        SiteReply real = await victim.HandleAsync(task, cancellationToken).ConfigureAwait(false);
        SiteReply guess = await replay.Agents[0].HandleAsync(task, cancellationToken).ConfigureAwait(false);
        if (real is not TrainingCompleted a || guess is not TrainingCompleted b)
        {
            return new AttackOutcome(Name, true, $"the site did not send a DP-SGD update ({Describe(real)})");
        }

        double difference = 0, size = 0;
        for (int k = 0; k < a.Update.WeightedDelta.Length; k++)
        {
            difference = Math.Max(difference, Math.Abs(a.Update.WeightedDelta.Values[k] - b.Update.WeightedDelta.Values[k]));
            size = Math.Max(size, Math.Abs(a.Update.WeightedDelta.Values[k]));
        }

        return difference == 0
            ? new AttackOutcome(Name, false, $"the attacker's replay from the job seed matches site {victim.Site}'s DP-SGD update bit for bit: it knows the batches and the noise, so it can subtract the noise and test membership exactly")
            : new AttackOutcome(Name, true, Invariant($"the replay from the job seed misses site {victim.Site}'s DP-SGD update by up to {difference:G3} (largest coordinate {size:G3}): batches and noise come from the site's own generator"));
    }

    private static double Norm(ReadOnlySpan<float> values) => Math.Sqrt(System.Numerics.Tensors.TensorPrimitives.SumOfSquares(values));

    private static string Describe(SiteReply reply) => reply switch
    {
        Refused r => $"refused (rule {r.Rule})",
        Failed f => $"failed ({f.Code}): {f.Message}",
        _ => reply.GetType().Name,
    };

    /// <summary>The victim sites' world: the data, the jobs the coordinator writes and the policies the sites hold.</summary>
    private sealed class Arena(string data, string folder, SiteProtections protections)
    {
        public const string SecureAggregation = SecureAggregationSection;
        public const string SampleLevelDp = "privacy:\n  dp:\n    mode: sample-level\n    epsilon: 8\n    delta: 1.0e-5\n    clip: 1.0\n";

        /// <summary>A hospital that requires secure aggregation over at least three sites and never sends a plain update.</summary>
        public const string StrictPolicy = "strict";

        /// <summary>A hospital that allows plain updates (the reference twins, and the DP-SGD job).</summary>
        public const string PermissivePolicy = "permissive";

        private FederatedDataset? _dataset;

        /// <summary>Whether the victims run without their protections (the <c>--unprotected</c> run).</summary>
        public bool IsWeakened => protections != SiteProtections.All;

        /// <summary>A secure-aggregation session of round 1 as the coordinator would open it, with the attacker's threshold.</summary>
        public SecureTrainingSession Secure(JobDefinition job, string[] participants, int threshold, string site, SecAggSecurityMode mode = SecAggSecurityMode.MaliciousServer) =>
            SecureSession(job, Initial(job).Length, participants, threshold, site, mode);

        /// <summary>The training task of round 1 that opens <paramref name="secure"/> at <paramref name="site"/>.</summary>
        public TrainTask Train(JobDefinition job, SiteId site, SecureTrainingSession secure) =>
            new(site, new RoundNumber(1), Initial(job), job.Training, null, secure, job.Engine.Dp) { Participants = secure.Session.ParticipantCount, JobSha256 = job.ContentSha256 };

        /// <summary>Ground truth, for grading only: <paramref name="site"/>'s round-1 update, from a twin that sends it in the clear.</summary>
        public async Task<SiteUpdate> TruthAsync(JobDefinition job, SiteId site, CancellationToken cancellationToken)
        {
            JobDefinition twinJob = Job(job.Name["redteam-".Length..], privacy: string.Empty);
            using Victims twins = Sites(twinJob, PermissivePolicy);
            SiteAgent twin = twins.Agents.Single(a => a.Site == site);
            TrainTask plain = new(site, new RoundNumber(1), Initial(job), job.Training) { Participants = twins.Agents.Length, JobSha256 = twinJob.ContentSha256 };
            return await twin.HandleAsync(plain, cancellationToken).ConfigureAwait(false) is TrainingCompleted truth
                ? truth.Update
                : throw new InvalidOperationException("The red team's reference site did not train.");
        }

        public JobDefinition Job(string name, string privacy) =>
            JobFile.Parse(JobText(name, data, privacy), Path.Combine(folder, $"redteam-{name}.yaml"));

        public ModelSpec Spec(JobDefinition job) => job.ModelFor(Dataset(job).Sites[0].Train.FeatureCount);

        public ParameterVector Initial(JobDefinition job)
        {
            ModelSpec spec = Spec(job);
            ParameterVector initial = new(spec.CreateLayout());
            spec.CreateModel(1).Initialize(initial.Values, new RandomSource(job.Seed).Derive("init"));
            return initial;
        }

        /// <summary>The victims of one attack, each with its own signing key and the roster of all of them.</summary>
        /// <param name="job">The job they accepted.</param>
        /// <param name="policy"><see cref="StrictPolicy"/> or <see cref="PermissivePolicy"/>.</param>
        /// <param name="protectionsOverride">Other protections than the run's.</param>
        /// <param name="pushed">Roster entries the coordinator pushes (its puppets): only a site without
        /// <see cref="SiteProtections.AuthenticatedSecureAggregation"/> takes them, as it trusted identities the coordinator's CA issued.</param>
        public Victims Sites(JobDefinition job, string policy, SiteProtections? protectionsOverride = null, IEnumerable<RosterMember>? pushed = null)
        {
            SiteProtections effective = protectionsOverride ?? protections;
            string policyPath = Path.Combine(folder, policy + ".yaml");
            File.WriteAllText(policyPath, PolicyText(strict: policy == StrictPolicy));
            FederatedDataset dataset = Dataset(job);
            RandomSource seed = new(job.Seed);
            Governance.Policies.PolicyEvaluator evaluator = Governance.Policies.PolicyEvaluator.FromFile(policyPath);
            global::Consortia.Federation.SecureAggregation.SimulatedConsortium consortium = global::Consortia.Federation.SecureAggregation.SimulatedConsortium.Create(job.Consortium, dataset.Sites.Select(s => s.Name));
            List<IDisposable> owned = [consortium];
            return new Victims([.. dataset.Sites.Select((site, i) => new SiteBuilder
            {
                Job = job,
                Site = new SiteId(site.Name),
                Train = site.Train,
                Test = site.Test,
                Task = dataset.Task,
                Randomness = effective.HasFlag(SiteProtections.PrivateRandomness) ? SiteRandomness.Cryptographic : SiteRandomness.Seeded(seed.Derive("site").Derive((ulong)i)),
                Time = TimeProvider.System,
                Policy = evaluator,
                Budget = Budget(job, evaluator, site.Name, owned),
                SigningKey = consortium.KeyOf(site.Name), // the victims' own keys and roster: the attacker holds neither
                Roster = effective.HasFlag(SiteProtections.AuthenticatedSecureAggregation) ? consortium.Roster : (pushed ?? []).Aggregate(consortium.Roster, (r, m) => r.With(m)),
                Protections = effective,
                RosterIsAccepted = false,
            }.Build())], consortium.Roster, owned);
        }

        /// <summary>A DP job needs each site's budget ledger (the policy's lifetime ε); a fresh one per attack.</summary>
        private Privacy.Budget.PrivacyBudgetLedger? Budget(JobDefinition job, Governance.Policies.PolicyEvaluator policy, string site, List<IDisposable> owned)
        {
            if (job.Engine.Dp is null && job.ClientDp is null)
            {
                return null;
            }

            string path = Path.Combine(folder, $"budget-{Guid.NewGuid():N}-{site}.db");
            (Privacy.Budget.PrivacyBudgetLedger? ledger, string? problem) = SiteBudgets.Open(path, SiteBudgets.FromPolicy(policy), TimeProvider.System);
            if (ledger is null)
            {
                throw new InvalidOperationException($"The red team could not open a site budget: {problem}");
            }

            owned.Add(ledger);
            return ledger;
        }

        private FederatedDataset Dataset(JobDefinition job) => _dataset ??= FederatedDataLoader.Load(job.Data, folder);

    }

    /// <summary>The victim sites of one attack.</summary>
    private sealed class Victims(SiteAgent[] agents, ConsortiumRoster roster, IReadOnlyList<IDisposable> owned) : IDisposable
    {
        /// <summary>The sites, in the ordinal order of their names (the order of a session's participants).</summary>
        public SiteAgent[] Agents { get; } = [.. agents.OrderBy(a => a.Site.Value, StringComparer.Ordinal)];

        /// <summary>The roster the sites joined (every site's key, nobody else's).</summary>
        public ConsortiumRoster Roster { get; } = roster;

        public void Dispose()
        {
            foreach (SiteAgent agent in Agents)
            {
                agent.Dispose();
            }

            foreach (IDisposable item in owned)
            {
                item.Dispose();
            }
        }
    }

    /// <summary>The attacker's strategy: FedAvg, keeping the sum of the updates it was given.</summary>
    private sealed class CapturingStrategy(IStrategy inner) : IStrategy
    {
        public UpdateAggregate? Captured { get; private set; }

        public StrategyTraits Traits => inner.Traits;

        public StrategyState InitialState(GlobalModel model) => inner.InitialState(model);

        public TrainingPlan PlanTraining(RoundInput input) => inner.PlanTraining(input);

        public StrategyStep Aggregate(RoundInput input, UpdateAggregate updates)
        {
            Captured = updates;
            return inner.Aggregate(input, updates);
        }

        public EvaluationPlan? PlanEvaluation(RoundInput input) => inner.PlanEvaluation(input);

        public MetricSummary Summarise(RoundInput input, IReadOnlyList<EvaluationReport> reports) => inner.Summarise(input, reports);
    }
}
