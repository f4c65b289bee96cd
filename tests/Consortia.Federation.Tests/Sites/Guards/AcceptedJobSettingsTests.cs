using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Federation.Sites.Guards;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.ClientLevel;
using Consortia.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Federation.Tests.Sites.Guards;

/// <summary>
/// Sites take the round's clip bound and the number of attempts per round from what they accepted, not from the
/// coordinator: a clip bound the accepted job does not give (rule task-clip) and an attempt beyond the policy's cap
/// (rule round-attempts) are refused, named and ledgered.
/// </summary>
public sealed class AcceptedJobSettingsTests : IDisposable
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);
    private static readonly SiteId s_site = new("site0");
    private readonly TempDirectory _dir = new();
    private readonly EcdsaLedgerSigner _signer = EcdsaLedgerSigner.Generate();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero));

    public void Dispose()
    {
        _signer.Dispose();
        _dir.Dispose();
    }

    private static JobDefinition ClientDpJob(bool adaptive) => TestSites.Job(s_spec, 8, [MetricKind.Accuracy], ["a"]) with
    {
        ClientDp = new ClientDpSettings(
            new ClientLevelDpOptions { ClipNorm = 0.5, NoiseMultiplier = 1, Delta = 1e-5, Adaptive = adaptive ? new AdaptiveClippingOptions { TargetQuantile = 0.5, LearningRate = 0.2 } : null },
            "job", 10),
    };

    private static TrainTask Task(JobDefinition job, int round, double clip) =>
        new(s_site, new RoundNumber(round), new ParameterVector(s_spec.CreateLayout()), job.Training)
        {
            ClientDp = new ClientDpRound("job", clip, job.ClientDp!.Options.Adaptive is not null, 1.0, 1.0, 1e-5),
            Participants = 1,
            JobSha256 = job.ContentSha256,
        };

    private AuditLedger OpenLedger() => AuditLedger.Open(_dir.File("site.db"), "site0", LedgerRole.Site, _signer, _time);

    private static TaskGuard Guard(JobDefinition job, AuditLedger? ledger) => new(s_site, job, null, new SiteAudit(ledger, job.Name));

    [Fact]
    public void FixedClip_TheJobsBoundIsAccepted_AnyOtherIsRefusedAndLedgered()
    {
        using AuditLedger ledger = OpenLedger();
        JobDefinition job = ClientDpJob(adaptive: false);
        TaskGuard guard = Guard(job, ledger);

        Assert.Null(guard.Check(Task(job, round: 3, clip: 0.5)));
        Refused larger = Assert.IsType<Refused>(guard.Check(Task(job, round: 3, clip: 5)));
        Refused smaller = Assert.IsType<Refused>(guard.Check(Task(job, round: 3, clip: 0.4999)));

        Assert.Equal(TaskGuard.ClipRule, larger.Rule);
        Assert.Equal(TaskGuard.ClipRule, smaller.Rule);
        Assert.Contains("fixes it at 0.5", larger.Reason, StringComparison.Ordinal);
        RuleResult[] recorded = [.. ledger.ReadEntries().Select(e => e.Event).OfType<PolicyDecisionEvent>().SelectMany(d => d.Rules)];
        Assert.Equal([TaskGuard.ClipRule, TaskGuard.ClipRule], recorded.Select(r => r.Rule));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(0.0)]
    [InlineData(-0.5)]
    public void Clip_ThatIsNotAPositiveNumber_IsRefused(double clip)
    {
        JobDefinition job = ClientDpJob(adaptive: true);

        Refused refused = Assert.IsType<Refused>(Guard(job, null).Check(Task(job, round: 2, clip)));

        Assert.Equal(TaskGuard.ClipRule, refused.Rule);
    }

    [Fact]
    public void AdaptiveClip_MustStartAtTheJobsBound_AndStayWithinWhatItsUpdateRuleReaches()
    {
        // C₀ = 0.5, η = 0.2, γ = 0.5: each update multiplies C by a factor in [e^(−0.1), e^(0.1)].
        JobDefinition job = ClientDpJob(adaptive: true);
        TaskGuard guard = Guard(job, null);
        double C(int updates, double exponent) => 0.5 * Math.Exp(exponent * updates);

        Assert.Null(guard.Check(Task(job, round: 1, clip: 0.5)));
        Assert.Equal(TaskGuard.ClipRule, guard.Check(Task(job, round: 1, clip: 0.51))?.Rule);
        Assert.Null(guard.Check(Task(job, round: 4, clip: C(3, 0.1))));
        Assert.Null(guard.Check(Task(job, round: 4, clip: C(3, -0.1))));
        Assert.Null(guard.Check(Task(job, round: 4, clip: 0.6)));
        Assert.Equal(TaskGuard.ClipRule, guard.Check(Task(job, round: 4, clip: C(3, 0.1) * 1.001))?.Rule);
        Assert.Equal(TaskGuard.ClipRule, guard.Check(Task(job, round: 4, clip: C(3, -0.1) * 0.999))?.Rule);
        Assert.Equal(TaskGuard.ClipRule, guard.Check(Task(job, round: 4, clip: 50))?.Rule);
    }

    [Fact]
    public void AdaptiveClip_FollowingTheStrategysOwnUpdates_IsAlwaysAccepted()
    {
        // What an honest coordinator sends: C after each round's update, whatever fraction of updates went unclipped.
        JobDefinition job = ClientDpJob(adaptive: true);
        TaskGuard guard = Guard(job, null);
        AdaptiveClippingOptions adaptive = job.ClientDp!.Options.Adaptive!;
        double[] fractions = [0, 0, 1, 0.3, 1, 1, 1, 0, 0.5];
        double clip = job.ClientDp.Options.ClipNorm;
        for (int round = 1; round <= fractions.Length + 1; round++)
        {
            Assert.Null(guard.Check(Task(job, round, clip)));
            if (round <= fractions.Length)
            {
                clip = AdaptiveClipping.NextClip(clip, fractions[round - 1], adaptive.TargetQuantile, adaptive.LearningRate);
            }
        }
    }

    [Fact]
    public void Attempts_BeyondTheCap_AreRefused_AndANewRoundStartsTheCountAgain()
    {
        using AuditLedger ledger = OpenLedger();
        SiteRoundState state = new(_dir.File("rounds.state"));
        RoundClaimGuard guard = new(s_site, state, new SiteAudit(ledger, "job"), maxAttempts: 2);
        JobDefinition job = TestSites.Job(s_spec, 8, [], ["a"]);
        TrainTask Attempt(int round, int attempt) => new TrainTask(s_site, new RoundNumber(round), new ParameterVector(s_spec.CreateLayout()), job.Training) { Attempt = attempt };

        Assert.Null(guard.Check(Attempt(1, 0)));
        Assert.Null(guard.Check(Attempt(1, 7))); // counted, not read from the attempt number the coordinator chose
        Refused third = Assert.IsType<Refused>(guard.Check(Attempt(1, 8)));
        Assert.Null(guard.Check(Attempt(2, 8)));
        Assert.Null(guard.Check(Attempt(2, 9)));

        Assert.Equal(RoundClaimGuard.AttemptsRule, third.Rule);
        Assert.Contains("max_attempts_per_round", third.Reason, StringComparison.Ordinal);
        Assert.Equal(RoundClaimGuard.AttemptsRule, Assert.Single(ledger.ReadEntries().Select(e => e.Event).OfType<PolicyDecisionEvent>().SelectMany(d => d.Rules)).Rule);
    }

    [Fact]
    public void AttemptCount_SurvivesARestart()
    {
        string path = _dir.File("rounds.state");
        SiteRoundState before = new(path);
        Assert.Equal(RoundClaim.Claimed, before.TryClaim(3, 0, maxAttempts: 2));
        Assert.Equal(RoundClaim.Claimed, before.TryClaim(3, 1, maxAttempts: 2));

        SiteRoundState after = new(path);

        Assert.Equal(2, after.AttemptsInRound);
        Assert.Equal(RoundClaim.TooManyAttempts, after.TryClaim(3, 2, maxAttempts: 2));
        Assert.Equal(RoundClaim.Repeated, after.TryClaim(3, 1, maxAttempts: 2));
    }

    [Fact]
    public void StateFileWithoutAnAttemptCount_CountsTheLastRoundOnce()
    {
        string path = _dir.File("old.state");
        File.WriteAllText(path, "round 4\nattempt 0\nevaluations 1\n");

        SiteRoundState state = new(path);

        Assert.Equal(1, state.AttemptsInRound);
        Assert.Equal(RoundClaim.TooManyAttempts, state.TryClaim(4, 1, maxAttempts: 1));
    }

    [Fact]
    public void Policy_ReadsMaxAttemptsPerRound_WithADefaultAndBounds()
    {
        string Policy(string extra) => $"""
            version: 1
            consortia: [c]
            owners: [o]
            models: [logistic]
            strategies: [fedavg]
            protections:
              secure_aggregation: false
              min_sites_per_aggregate: 1
            {extra}
            outputs:
              plain_updates: true
            columns: [a]
            """;

        Assert.Equal(ProtectionPolicy.DefaultMaxAttemptsPerRound, SitePolicyLoader.Parse(Policy(""), "p.yaml").Protections.MaxAttemptsPerRound);
        Assert.Equal(1, SitePolicyLoader.Parse(Policy("  max_attempts_per_round: 1"), "p.yaml").Protections.MaxAttemptsPerRound);
        PolicyFileException zero = Assert.Throws<PolicyFileException>(() => SitePolicyLoader.Parse(Policy("  max_attempts_per_round: 0"), "p.yaml"));
        Assert.Contains("max_attempts_per_round", zero.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_UnderAPolicyOfOneAttempt_RefusesTheRerunOfARound()
    {
        FederatedDatasetFixture data = new();
        JobDefinition job = TestSites.Job(s_spec, 8, [MetricKind.Accuracy], data.Columns);
        string policy = $"""
            version: 1
            consortia: [{job.Consortium}]
            owners: [unspecified]
            models: [logistic]
            strategies: [fedavg]
            protections:
              secure_aggregation: false
              min_sites_per_aggregate: 1
              max_attempts_per_round: 1
            outputs:
              plain_updates: true
              aggregate_metrics: true
              min_cell_count: 1
            columns: [{string.Join(", ", data.Columns)}]
            """;
        using SiteAgent agent = new SiteBuilder
        {
            Job = job,
            Site = new SiteId(data.Data.Sites[0].Name),
            Train = data.Data.Sites[0].Train,
            Test = data.Data.Sites[0].Test,
            Task = data.Data.Task,
            Randomness = SiteRandomness.Seeded(new RandomSource(1)),
            Time = _time,
            Policy = new PolicyEvaluator(SitePolicyLoader.Parse(policy, "policy.yaml")),
        }.Build();
        TrainTask Round(int attempt) => new(agent.Site, new RoundNumber(1), new ParameterVector(s_spec.CreateLayout()), job.Training) { Participants = 1, JobSha256 = job.ContentSha256, Attempt = attempt };

        Assert.IsType<TrainingCompleted>(await agent.HandleAsync(Round(0), TestContext.Current.CancellationToken));
        Refused rerun = Assert.IsType<Refused>(await agent.HandleAsync(Round(1), TestContext.Current.CancellationToken));

        Assert.Equal(RoundClaimGuard.AttemptsRule, rerun.Rule);
    }

    [Fact]
    public void Model_OfAnotherShapeThanTheAcceptedJobs_IsRefused()
    {
        using AuditLedger ledger = OpenLedger();
        JobDefinition job = TestSites.Job(s_spec, 8, [], ["a"]);
        TaskGuard guard = new(s_site, job, null, new SiteAudit(ledger, job.Name), parameterCount: s_spec.CreateLayout().Length);
        ModelSpec wider = new(ModelKind.Mlp, 5, [4]);
        TrainTask Task(ModelSpec spec) => new(s_site, new RoundNumber(1), new ParameterVector(spec.CreateLayout()), job.Training) { Participants = 1, JobSha256 = job.ContentSha256 };

        Assert.Null(guard.Check(Task(s_spec)));
        Refused refused = Assert.IsType<Refused>(guard.Check(Task(wider)));

        Assert.Equal(TaskGuard.ModelRule, refused.Rule);
        Assert.Contains($"has {s_spec.CreateLayout().Length} on this site's data", refused.Reason, StringComparison.Ordinal);
        Assert.Equal(TaskGuard.ModelRule, Assert.Single(ledger.ReadEntries().Select(e => e.Event).OfType<PolicyDecisionEvent>().SelectMany(d => d.Rules)).Rule);
    }

    public static TheoryData<string, string> OtherTraining => new()
    {
        { "more-steps", "allows at most 10 local steps" },
        { "epochs-instead-of-steps", "allows at most 10 local steps" },
        { "learning-rate", "learning rate 0.5" },
        { "optimizer", "Adam" },
        { "momentum", "momentum 0.9" },
        { "batch-size", "batch size is 64" },
        { "proximal", "proximal coefficient is 0.1" },
    };

    [Theory]
    [MemberData(nameof(OtherTraining))]
    public void Training_OtherThanTheAcceptedJobs_IsRefusedNamingTheSetting(string change, string reason)
    {
        using AuditLedger ledger = OpenLedger();
        JobDefinition job = TestSites.Job(s_spec, 8, [], ["a"]); // 10 local steps, SGD at 0.01, batch 8
        TaskGuard guard = Guard(job, ledger);
        LocalTrainingOptions asked = change switch
        {
            "more-steps" => job.Training with { LocalSteps = 11 },
            "epochs-instead-of-steps" => job.Training with { LocalSteps = null, LocalEpochs = 1 },
            "learning-rate" => job.Training with { Optimizer = job.Training.Optimizer with { LearningRate = 0.5f } },
            "optimizer" => job.Training with { Optimizer = job.Training.Optimizer with { Kind = Learning.Optimization.OptimizerKind.Adam } },
            "momentum" => job.Training with { Optimizer = job.Training.Optimizer with { Momentum = 0.9f } },
            "batch-size" => job.Training with { BatchSize = 64 },
            "proximal" => job.Training with { ProximalMu = 0.1f },
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };

        Refused refused = Assert.IsType<Refused>(guard.Check(new TrainTask(s_site, new RoundNumber(1), new ParameterVector(s_spec.CreateLayout()), asked) { Participants = 1, JobSha256 = job.ContentSha256 }));

        Assert.Equal(TaskGuard.TrainingRule, refused.Rule);
        Assert.Contains(reason, refused.Reason, StringComparison.Ordinal);
        Assert.Equal(TaskGuard.TrainingRule, Assert.Single(ledger.ReadEntries().Select(e => e.Event).OfType<PolicyDecisionEvent>().SelectMany(d => d.Rules)).Rule);
    }

    [Fact]
    public void Training_TheAcceptedJobs_OrLessWork_IsAccepted()
    {
        JobDefinition steps = TestSites.Job(s_spec, 8, [], ["a"]);
        JobDefinition epochs = TestSites.Job(s_spec, 8, [], ["a"], new LocalTrainingOptions { BatchSize = 8, LocalEpochs = 3 });
        TrainTask Task(JobDefinition job, LocalTrainingOptions training) =>
            new(s_site, new RoundNumber(1), new ParameterVector(s_spec.CreateLayout()), training) { Participants = 1, JobSha256 = job.ContentSha256 };

        Assert.Null(Guard(steps, null).Check(Task(steps, steps.Training)));
        Assert.Null(Guard(steps, null).Check(Task(steps, steps.Training with { LocalSteps = 3 })));
        Assert.Null(Guard(epochs, null).Check(Task(epochs, epochs.Training)));
        Assert.Null(Guard(epochs, null).Check(Task(epochs, epochs.Training with { LocalEpochs = 1 })));
        Assert.Equal(TaskGuard.TrainingRule, Assert.IsType<Refused>(Guard(epochs, null).Check(Task(epochs, epochs.Training with { LocalEpochs = 4 }))).Rule);
        Assert.Equal(TaskGuard.TrainingRule, Assert.IsType<Refused>(Guard(epochs, null).Check(Task(epochs, epochs.Training with { LocalSteps = 5 }))).Rule);
    }

    /// <summary>A small federation with five feature columns.</summary>
    private sealed class FederatedDatasetFixture
    {
        public Data.FederatedDataset Data { get; } = Some.ClassificationFederation();

        public IReadOnlyList<string> Columns => Data.Sites[0].Train.FeatureNames;
    }
}
