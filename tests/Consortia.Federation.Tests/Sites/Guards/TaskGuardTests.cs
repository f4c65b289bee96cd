using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Federation.Sites.Guards;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.DpSgd;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Quantization;
using Consortia.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Federation.Tests.Sites.Guards;

/// <summary>A site acts on the job it accepted, not on what each task claims: the coordinator is not trusted.</summary>
public sealed class TaskGuardTests : IDisposable
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);
    private static readonly LocalTrainingOptions s_training = new() { BatchSize = 8, LocalSteps = 2 };
    private static readonly FederatedDataset s_data = Some.ClassificationFederation();

    private readonly TempDirectory _dir = new();
    private readonly EcdsaLedgerSigner _signer = EcdsaLedgerSigner.Generate();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero));

    /// <summary>Secure aggregation, DP-SGD and at least five sites per aggregate: what the strict policy demands.</summary>
    private static readonly JobDefinition s_protected = Plain() with
    {
        Engine = Plain().Engine with
        {
            SecureAggregation = new SecureAggregationSettings { ClipRange = 100 },
            Dp = new SiteDpSettings(new DpSgdOptions { ClipNorm = 1, TargetEpsilon = 5, Delta = 1e-5 }, "job", 10),
            MinimumParticipants = 5,
        },
    };

    private static string Columns => string.Join(", ", s_data.Sites[0].Train.FeatureNames);

    private static string StrictPolicy => $"""
        version: 3
        consortia: [simulation]
        owners: [unspecified]
        models: [logistic]
        strategies: [fedavg]
        protections:
          secure_aggregation: true
          min_sites_per_aggregate: 5
          differential_privacy:
            required: true
            mode: sample-level
            epsilon_ceiling_per_job: 10
            lifetime_epsilon_budget: 100
            delta: 0.001
        outputs:
          masked_updates: true
          aggregate_metrics: true
          min_cell_count: 1
        columns: [{Columns}]
        """;

    private static string OpenPolicy(string extraOutputs = "", string schedule = "") => $"""
        version: 1
        consortia: [simulation]
        owners: [unspecified]
        models: [logistic]
        strategies: [fedavg]
        protections:
          secure_aggregation: false
          min_sites_per_aggregate: 1
        outputs:
          plain_updates: true
          aggregate_metrics: true
          min_cell_count: 1
        {extraOutputs}
        columns: [{Columns}]
        {schedule}
        """;

    private readonly List<Privacy.Budget.PrivacyBudgetLedger> _budgets = [];

    private Privacy.Budget.PrivacyBudgetLedger Budget()
    {
        Privacy.Budget.PrivacyBudgetLedger ledger = Privacy.Budget.PrivacyBudgetLedger.OpenOrCreate(
            new Privacy.Budget.PrivacyBudgetLedgerOptions { Path = _dir.File($"budget-{_budgets.Count}.db"), Budget = new Privacy.Budget.LifetimeBudget(1e6, 1e-5) }, _time);
        _budgets.Add(ledger);
        return ledger;
    }

    public void Dispose()
    {
        _budgets.ForEach(b => b.Dispose());
        _signer.Dispose();
        _dir.Dispose();
    }

    private static JobDefinition Plain() => TestSites.Job(s_spec, 8, [MetricKind.Accuracy], s_data.Sites[0].Train.FeatureNames);

    private AuditLedger OpenLedger() => AuditLedger.Open(_dir.File("site.db"), "site0", LedgerRole.Site, _signer, _time);

    private SiteAgent Agent(JobDefinition job, string policyYaml, AuditLedger? ledger = null, string? statePath = null) => new SiteBuilder
    {
        Job = job,
        Site = new SiteId(s_data.Sites[0].Name),
        Train = s_data.Sites[0].Train,
        Test = s_data.Sites[0].Test,
        Task = s_data.Task,
        Randomness = SiteRandomness.Seeded(new RandomSource(1)),
        Time = _time,
        Policy = new PolicyEvaluator(SitePolicyLoader.Parse(policyYaml, "site-policy.yaml")),
        Audit = ledger,
        RoundStatePath = statePath,
        Budget = job.Engine.Dp is null && job.ClientDp is null ? null : Budget(), // a site without a budget refuses DP work
        SigningKey = s_consortium.KeyOf(s_data.Sites[0].Name),
        Roster = s_consortium.Roster, // the session's five participants, authenticated as in deployment
    }.Build();

    private static readonly SimulatedConsortium s_consortium = SimulatedConsortium.Create(Plain().Consortium, ["site0", "site1", "site2", "site3", "site4"]);

    private static TrainTask Train(SiteAgent agent, JobDefinition job, int round = 1, int participants = 5, SecureTrainingSession? session = null, SiteDpSettings? dp = null) =>
        new(agent.Site, new RoundNumber(round), new ParameterVector(s_spec.CreateLayout()), s_training, SecureSession: session, Dp: dp)
        {
            Participants = participants,
            JobSha256 = job.ContentSha256,
        };

    private static EvaluateTask Evaluate(SiteAgent agent, JobDefinition job, int round) =>
        new(agent.Site, new RoundNumber(round), new ParameterVector(s_spec.CreateLayout())) { JobSha256 = job.ContentSha256 };

    private static SecureTrainingSession Session(SiteAgent agent, string jobId = "job", int round = 1) => new(
        new SecAggSessionOptions
        {
            JobId = jobId,
            RoundNumber = round,
            Participants = [agent.Site.Value, "site1", "site2", "site3", "site4"], // sorted, the site first
            VectorLength = SecureUpdateLayout.Length(s_spec.CreateLayout().Length, controlVariates: false),
            Threshold = 5, // at least the strict policy's minimum sites per aggregate
            SecurityMode = SecAggSecurityMode.MaliciousServer,
        },
        new FixedPointOptions { ClipRange = 100, MaxSummands = 5 },
        Participant: 1,
        ControlVariates: false);

    private static Task<SiteReply> Send(SiteAgent agent, SiteTask task) => agent.HandleAsync(task, TestContext.Current.CancellationToken).AsTask();

    [Fact]
    public async Task ProtectionDowngrade_TaskWithoutSecureSessionAndWithoutDp_IsRefusedLedgeredAndNothingLeaves()
    {
        // Attack 2: the site accepted a job with secure aggregation, DP and ≥ 5 sites; the coordinator sends a task without
        // either protection that claims 5 participants.
        using AuditLedger ledger = OpenLedger();
        using SiteAgent agent = Agent(s_protected, StrictPolicy, ledger);

        Refused refused = Assert.IsType<Refused>(await Send(agent, Train(agent, s_protected, participants: 5)));

        Assert.Equal(TaskGuard.SecureAggregationRule, refused.Rule);
        LedgerEvent[] events = [.. ledger.ReadEntries().Select(e => e.Event)];
        PolicyDecisionEvent recorded = Assert.Single(events.OfType<PolicyDecisionEvent>());
        Assert.False(recorded.Accepted);
        Assert.Equal(1, recorded.Round);
        Assert.Equal(TaskGuard.SecureAggregationRule, Assert.Single(recorded.Rules).Rule);
        Assert.Equal(3, recorded.PolicyVersion);
        Assert.DoesNotContain(events, e => e is UpdateSentEvent or RoundTrainedEvent);
    }

    [Fact]
    public async Task ProtectionDowngrade_SecureSessionButNoDp_IsRefusedByTheDpRule()
    {
        using SiteAgent agent = Agent(s_protected, StrictPolicy);

        Refused refused = Assert.IsType<Refused>(await Send(agent, Train(agent, s_protected, session: Session(agent))));

        Assert.Equal(TaskGuard.DpRule, refused.Rule);
    }

    [Fact]
    public async Task WeakerDp_ThanTheAcceptedJob_IsRefused()
    {
        using SiteAgent agent = Agent(s_protected, StrictPolicy);
        SiteDpSettings weaker = s_protected.Engine.Dp! with { Options = s_protected.Engine.Dp!.Options with { TargetEpsilon = 50 } };

        Refused refused = Assert.IsType<Refused>(await Send(agent, Train(agent, s_protected, session: Session(agent), dp: weaker)));

        Assert.Equal(TaskGuard.DpRule, refused.Rule);
    }

    [Theory]
    [InlineData("other-job", 1)]
    [InlineData("job", 2)]
    public async Task SecureSession_ForAnotherJobOrRound_IsRefused(string sessionJob, int sessionRound)
    {
        using SiteAgent agent = Agent(s_protected, StrictPolicy);

        Refused refused = Assert.IsType<Refused>(await Send(agent, Train(agent, s_protected, session: Session(agent, sessionJob, sessionRound), dp: s_protected.Engine.Dp)));

        Assert.Equal(TaskGuard.SessionRule, refused.Rule);
    }

    [Fact]
    public async Task FewerClaimedParticipantsThanTheJobPromises_AreRefused()
    {
        using SiteAgent agent = Agent(s_protected, StrictPolicy);
        SecureTrainingSession session = Session(agent);
        session = session with { Session = session.Session with { Participants = [agent.Site.Value, "site1", "site2", "site3"], Threshold = 3 } };

        Refused refused = Assert.IsType<Refused>(await Send(agent, Train(agent, s_protected, participants: 4, session: session, dp: s_protected.Engine.Dp)));

        Assert.Equal(TaskGuard.ParticipantsRule, refused.Rule);
    }

    [Fact]
    public async Task FewerClaimedParticipantsThanThePolicysMinimum_AreRefusedByThePolicy()
    {
        // The job promises 3 sites, the policy requires 5: the task guard lets 4 through, the policy guard refuses.
        JobDefinition relaxed = s_protected with { Engine = s_protected.Engine with { MinimumParticipants = 3 } };
        using SiteAgent lenient = Agent(relaxed, StrictPolicy);
        SecureTrainingSession session = Session(lenient);
        session = session with { Session = session.Session with { Participants = [lenient.Site.Value, "site1", "site2", "site3"], Threshold = 3 } };

        Refused refused = Assert.IsType<Refused>(await Send(lenient, Train(lenient, relaxed, participants: 4, session: session, dp: relaxed.Engine.Dp)));

        Assert.Equal(PolicyRules.MinSites, refused.Rule);
    }

    [Fact]
    public async Task HonestTask_WithTheAcceptedProtections_IsTrainedAndKeptForTheSecureSession()
    {
        using SiteAgent agent = Agent(s_protected, StrictPolicy);

        SiteReply reply = await Send(agent, Train(agent, s_protected, session: Session(agent), dp: s_protected.Engine.Dp));

        Assert.True(reply is TrainingPrepared, reply.ToString());
    }

    [Fact]
    public async Task HeldUpdate_JoinsOneFlushOnly_WithAStalenessWeightOfAtMostOne()
    {
        // FedBuff under secure aggregation: train and hold (no session yet), then join the session of the buffer at round 3.
        using SiteAgent agent = Agent(s_protected, StrictPolicy);
        SecureFlushTask Flush(int trainedRound, float scale) => new(agent.Site, new RoundNumber(3), Session(agent, round: 3), new RoundNumber(trainedRound), scale) { JobSha256 = s_protected.ContentSha256 };

        Assert.IsType<TrainingPrepared>(await Send(agent, Train(agent, s_protected, dp: s_protected.Engine.Dp) with { HoldForSecureAggregation = true }));
        Refused amplified = Assert.IsType<Refused>(await Send(agent, Flush(1, 2f)));
        Failed wrongRound = Assert.IsType<Failed>(await Send(agent, Flush(2, 0.5f)));
        TrainingPrepared joined = Assert.IsType<TrainingPrepared>(await Send(agent, Flush(1, 1 / MathF.Sqrt(3))));
        Failed again = Assert.IsType<Failed>(await Send(agent, Flush(1, 1 / MathF.Sqrt(3))));

        Assert.Equal(TaskGuard.SessionRule, amplified.Rule);
        Assert.Equal("secagg-no-held-update", wrongRound.Code);
        Assert.Equal(3, joined.Round.Value); // its session is the flush's: SecAgg tasks of round 3 reach it
        Assert.Equal("secagg-no-held-update", again.Code); // one update, one aggregate
    }

    [Fact]
    public async Task HoldingAnUpdate_ForAJobWithoutSecureAggregation_IsRefused()
    {
        using SiteAgent agent = Agent(Plain(), OpenPolicy());

        Refused refused = Assert.IsType<Refused>(await Send(agent, Train(agent, Plain()) with { HoldForSecureAggregation = true }));

        Assert.Equal(TaskGuard.SecureAggregationRule, refused.Rule);
    }

    [Fact]
    public async Task TaskOfAnotherJob_IsRefusedWhateverItsKind()
    {
        JobDefinition other = Plain() with { SourceText = "name: job\nrounds: 99\n" };
        using SiteAgent agent = Agent(Plain(), OpenPolicy());

        Refused train = Assert.IsType<Refused>(await Send(agent, Train(agent, other)));
        Refused evaluate = Assert.IsType<Refused>(await Send(agent, Evaluate(agent, other, 1)));
        Refused unnamed = Assert.IsType<Refused>(await Send(agent, Train(agent, Plain()) with { JobSha256 = "" }));

        Assert.All(new[] { train, evaluate, unnamed }, r => Assert.Equal(TaskGuard.JobRule, r.Rule));
    }

    [Fact]
    public async Task RepeatedRound_IsRefused_ANewAttemptIsAccepted_AnOlderIdentityIsNot()
    {
        // Attack 3: a second task for the same round would put the same update into a second aggregate.
        using SiteAgent agent = Agent(Plain(), OpenPolicy());

        Assert.IsType<TrainingCompleted>(await Send(agent, Train(agent, Plain(), round: 1)));
        Refused repeated = Assert.IsType<Refused>(await Send(agent, Train(agent, Plain(), round: 1)));
        Assert.IsType<TrainingCompleted>(await Send(agent, Train(agent, Plain(), round: 1) with { Attempt = 1 }));
        Assert.IsType<TrainingCompleted>(await Send(agent, Train(agent, Plain(), round: 2) with { Attempt = 1 }));
        Refused older = Assert.IsType<Refused>(await Send(agent, Train(agent, Plain(), round: 1) with { Attempt = 2 }));

        Assert.Equal(RoundClaimGuard.Rule, repeated.Rule);
        Assert.Equal(RoundClaimGuard.Rule, older.Rule);
    }

    [Fact]
    public async Task RepeatedRound_AfterTheSiteRestarts_IsStillRefused()
    {
        string state = _dir.File("rounds/job.state");
        using (SiteAgent before = Agent(Plain(), OpenPolicy(), statePath: state))
        {
            Assert.IsType<TrainingCompleted>(await Send(before, Train(before, Plain(), round: 2)));
        }

        using SiteAgent after = Agent(Plain(), OpenPolicy(), statePath: state);

        Refused refused = Assert.IsType<Refused>(await Send(after, Train(after, Plain(), round: 2)));
        Assert.Equal(RoundClaimGuard.Rule, refused.Rule);
        Assert.IsType<TrainingCompleted>(await Send(after, Train(after, Plain(), round: 3)));
    }

    [Fact]
    public void UnreadableRoundState_FailsTheBuildNamingTheFile()
    {
        string state = _dir.File("broken.state");
        File.WriteAllText(state, "round two\n");

        InvalidDataException error = Assert.Throws<InvalidDataException>(() => Agent(Plain(), OpenPolicy(), statePath: state));

        Assert.Contains("broken.state:1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Evaluation_OfAJobThePolicyRefused_IsRefusedWithTheJobsRule()
    {
        // Attack 5: a refused job still got test accuracy for a crafted model.
        using SiteAgent agent = Agent(Plain(), OpenPolicy().Replace("models: [logistic]", "models: [mlp]", StringComparison.Ordinal));

        Refused refused = Assert.IsType<Refused>(await Send(agent, Evaluate(agent, Plain(), 1)));

        Assert.Equal(PolicyRules.Model, refused.Rule);
    }

    [Fact]
    public async Task Evaluation_OutsideTheSchedule_IsRefused()
    {
        const string Mornings = """
            schedule:
              - days: [weekdays]
                start_hour_utc: 8
                end_hour_utc: 12
            """;
        using SiteAgent agent = Agent(Plain(), OpenPolicy(schedule: Mornings));
        _time.Advance(TimeSpan.FromHours(2)); // Tuesday 09:08 UTC

        SiteReply inside = await Send(agent, Evaluate(agent, Plain(), 1));
        _time.Advance(TimeSpan.FromHours(4)); // 13:08
        Refused refused = Assert.IsType<Refused>(await Send(agent, Evaluate(agent, Plain(), 2)));

        Assert.IsType<EvaluationCompleted>(inside);
        Assert.Equal(PolicyRules.Schedule, refused.Rule);
    }

    [Fact]
    public async Task Evaluation_BelowTheMinimumCellCount_WithholdsEveryMetric()
    {
        int records = s_data.Sites[0].Test.Count;
        using SiteAgent agent = Agent(Plain(), OpenPolicy().Replace("min_cell_count: 1", $"min_cell_count: {records + 1}", StringComparison.Ordinal));

        EvaluationCompleted completed = Assert.IsType<EvaluationCompleted>(await Send(agent, Evaluate(agent, Plain(), 1)));

        Assert.All(completed.Report.Metrics, m => Assert.True(double.IsNaN(m.Value)));
    }

    [Fact]
    public async Task Evaluations_BeyondThePolicysCap_AreRefused_AndEachReleaseIsLedgered()
    {
        using AuditLedger ledger = OpenLedger();
        using SiteAgent agent = Agent(Plain(), OpenPolicy("  max_evaluations_per_job: 2"), ledger);

        Assert.IsType<EvaluationCompleted>(await Send(agent, Evaluate(agent, Plain(), 1)));
        Assert.IsType<EvaluationCompleted>(await Send(agent, Evaluate(agent, Plain(), 2)));
        Refused third = Assert.IsType<Refused>(await Send(agent, Evaluate(agent, Plain(), 3)));

        Assert.Equal(PolicyGuard.EvaluationCapRule, third.Rule);
        RuleResult[] cap = [.. ledger.ReadEntries().Select(e => e.Event).OfType<PolicyDecisionEvent>().SelectMany(d => d.Rules).Where(r => r.Rule == PolicyGuard.EvaluationCapRule)];
        Assert.Equal([true, true, false], cap.Select(r => r.Passed));
    }

    [Fact]
    public async Task Evaluations_WithoutACapInThePolicy_AreLimitedToTwiceTheJobsRoundsPlusTwo()
    {
        JobDefinition job = Plain() with { Engine = Plain().Engine with { Rounds = 1 } };
        using SiteAgent agent = Agent(job, OpenPolicy());

        SiteReply[] replies = new SiteReply[5];
        for (int i = 0; i < replies.Length; i++)
        {
            replies[i] = await Send(agent, Evaluate(agent, job, 1));
        }

        Assert.All(replies[..4], r => Assert.IsType<EvaluationCompleted>(r));
        Assert.Equal(PolicyGuard.EvaluationCapRule, Assert.IsType<Refused>(replies[4]).Rule);
    }
}
