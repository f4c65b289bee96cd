using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Governance.Audit;
using Consortia.Governance.Audit.Events;
using Consortia.Governance.Policies;
using Consortia.Learning;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Federation.Tests.Sites;

public sealed class SiteBuilderTests
{
    private static readonly ModelSpec s_spec = new(ModelKind.Logistic, 5, []);

    private static SiteBuilder Builder(FederatedDataset data, JobDefinition job, TimeProvider time) => new()
    {
        Job = job,
        Site = new SiteId(data.Sites[0].Name),
        Train = data.Sites[0].Train,
        Test = data.Sites[0].Test,
        Task = data.Task,
        Randomness = SiteRandomness.Seeded(new RandomSource(1)),
        Time = time,
    };

    private static TrainTask Train(SiteAgent agent) =>
        new(agent.Site, new RoundNumber(1), new ParameterVector(s_spec.CreateLayout()), new LocalTrainingOptions { BatchSize = 8, LocalSteps = 2 }) { Participants = 4, JobSha256 = TestSites.JobSha256 };

    [Fact]
    public async Task Build_WithoutAPolicy_RefusesEveryRoundAndEveryEvaluation()
    {
        FederatedDataset data = Some.ClassificationFederation();
        JobDefinition job = TestSites.Job(s_spec, 8, [MetricKind.Accuracy], data.Sites[0].Train.FeatureNames);
        using SiteAgent agent = Builder(data, job, new FakeTimeProvider()).Build();

        SiteReply train = await agent.HandleAsync(Train(agent), TestContext.Current.CancellationToken);
        SiteReply evaluate = await agent.HandleAsync(new EvaluateTask(agent.Site, new RoundNumber(0), new ParameterVector(s_spec.CreateLayout())) { JobSha256 = job.ContentSha256 }, TestContext.Current.CancellationToken);

        Assert.Equal(PolicyRules.Policy, Assert.IsType<Refused>(train).Rule);
        Assert.Equal(PolicyRules.Policy, Assert.IsType<Refused>(evaluate).Rule);
    }

    [Fact]
    public async Task Build_WithAnAcceptingPolicy_SendsTheUpdateWeightedByTheLocalExamples()
    {
        FederatedDataset data = Some.ClassificationFederation();
        JobDefinition job = TestSites.Job(s_spec, 8, [MetricKind.Accuracy], data.Sites[0].Train.FeatureNames);
        using SiteAgent policed = new SiteBuilder
        {
            Job = job, Site = new SiteId(data.Sites[0].Name), Train = data.Sites[0].Train, Test = data.Sites[0].Test, Task = data.Task,
            Randomness = SiteRandomness.Seeded(new RandomSource(1)), Time = new FakeTimeProvider(), Policy = TestSites.Accepting(job),
        }.Build();

        TrainingCompleted completed = Assert.IsType<TrainingCompleted>(await policed.HandleAsync(Train(policed), TestContext.Current.CancellationToken));

        Assert.Equal(data.Sites[0].Train.Count, completed.Update.Weight);
        Assert.Equal(2, completed.Update.Steps);
    }

    [Fact]
    public async Task Build_TheSitesLedgerEntriesCarryTheGivenClocksTime()
    {
        using TempDirectory temp = new();
        FederatedDataset data = Some.ClassificationFederation();
        JobDefinition job = TestSites.Job(s_spec, 8, [MetricKind.Accuracy], data.Sites[0].Train.FeatureNames);
        DateTimeOffset now = new(2031, 5, 6, 7, 8, 9, TimeSpan.Zero);
        FakeTimeProvider time = new(now);
        using EcdsaLedgerSigner signer = EcdsaLedgerSigner.Generate();
        using AuditLedger ledger = AuditLedger.Open(temp.File("site.db"), "site0", LedgerRole.Site, signer, time);
        using SiteAgent agent = new SiteBuilder
        {
            Job = job, Site = new SiteId("site0"), Train = data.Sites[0].Train, Test = data.Sites[0].Test, Task = data.Task,
            Randomness = SiteRandomness.Seeded(new RandomSource(1)), Time = time, Policy = TestSites.Accepting(job), Audit = ledger,
        }.Build();

        Assert.IsType<TrainingCompleted>(await agent.HandleAsync(Train(agent), TestContext.Current.CancellationToken));

        IReadOnlyList<LedgerEntry> entries = [.. ledger.ReadEntries()];
        Assert.Contains(entries, e => e.Type == LedgerEventType.PolicyDecision);
        Assert.Contains(entries, e => e.Type == LedgerEventType.UpdateSent);
        Assert.All(entries, e => Assert.Equal(now, e.Timestamp));
    }

    [Fact]
    public async Task TwoDpJobs_UnderTheSitesPolicyBudget_TheSecondIsRefusedByTheLifetimeBudget()
    {
        FederatedDataset data = Some.ClassificationFederation();
        using TempDirectory temp = new();
        FakeTimeProvider time = new();
        SiteDpSettings Dp(string name) => new(new Privacy.DpSgd.DpSgdOptions { TargetEpsilon = 3, Delta = 1e-5 }, name, 2);
        JobDefinition Job(string name) => TestSites.Job(s_spec, 8, [MetricKind.Accuracy], data.Sites[0].Train.FeatureNames) with
        {
            Name = name,
            Engine = new Consortia.Federation.Engine.RoundEngineOptions { Rounds = 2, Dp = Dp(name) },
        };
        SitePolicy accepting = TestSites.Accepting(Job("first")).Policy!;
        // The site's own policy sets its lifetime budget (ε = 5): the one ledger every job at the site is charged to.
        PolicyEvaluator policy = new(accepting with { Protections = accepting.Protections with { DifferentialPrivacy = new DifferentialPrivacyPolicy(false, null, 5, 5, 1e-5) } });
        (Privacy.Budget.PrivacyBudgetLedger? ledger, string? problem) = SiteBudgets.Open(temp.File("budget.db"), SiteBudgets.FromPolicy(policy), time);
        Assert.Null(problem);
        using Privacy.Budget.PrivacyBudgetLedger budget = ledger!;
        SiteAgent Agent(string name) => new SiteBuilder
        {
            Job = Job(name), Site = new SiteId(data.Sites[0].Name), Train = data.Sites[0].Train, Test = data.Sites[0].Test, Task = data.Task,
            Randomness = SiteRandomness.Seeded(new RandomSource(1)), Time = time, Policy = policy, Budget = budget,
        }.Build();
        TrainTask Train(SiteAgent agent, string name, int round) =>
            new(agent.Site, new RoundNumber(round), new ParameterVector(s_spec.CreateLayout()), new LocalTrainingOptions { BatchSize = 8, LocalSteps = 2 }, Dp: Dp(name)) { Participants = 4, JobSha256 = Job(name).ContentSha256 };

        using SiteAgent first = Agent("first");
        Assert.IsType<TrainingCompleted>(await first.HandleAsync(Train(first, "first", 1), TestContext.Current.CancellationToken));
        Assert.IsType<TrainingCompleted>(await first.HandleAsync(Train(first, "first", 2), TestContext.Current.CancellationToken));
        using SiteAgent second = Agent("second");
        Refused refused = Assert.IsType<Refused>(await second.HandleAsync(Train(second, "second", 1), TestContext.Current.CancellationToken));

        Assert.Equal(PolicyRules.DpBudget, refused.Rule);
        Assert.InRange(budget.GetSpent().Epsilon, 2.5, 3.0);
        Assert.Single(budget.GetCharges().Select(c => c.JobId).Distinct());
    }

    [Fact]
    public async Task Build_DpJobWithoutABudget_RefusesTheRoundWithTheReason()
    {
        FederatedDataset data = Some.ClassificationFederation();
        SiteDpSettings dp = new(new Privacy.DpSgd.DpSgdOptions { TargetEpsilon = 3, Delta = 1e-5 }, "test-job", 2);
        JobDefinition job = TestSites.Job(s_spec, 8, [MetricKind.Accuracy], data.Sites[0].Train.FeatureNames) with { Engine = new Consortia.Federation.Engine.RoundEngineOptions { Rounds = 2, Dp = dp } };
        using SiteAgent agent = new SiteBuilder
        {
            Job = job, Site = new SiteId(data.Sites[0].Name), Train = data.Sites[0].Train, Test = data.Sites[0].Test, Task = data.Task,
            Randomness = SiteRandomness.Seeded(new RandomSource(1)), Time = new FakeTimeProvider(), Policy = TestSites.Accepting(job),
        }.Build();

        Refused refused = Assert.IsType<Refused>(await agent.HandleAsync(
            new TrainTask(agent.Site, new RoundNumber(1), new ParameterVector(s_spec.CreateLayout()), new LocalTrainingOptions { BatchSize = 8, LocalSteps = 2 }, Dp: dp) { Participants = 4, JobSha256 = job.ContentSha256 },
            TestContext.Current.CancellationToken));

        Assert.Equal(PolicyRules.DpBudget, refused.Rule);
        Assert.Contains("no lifetime privacy budget", refused.Reason, StringComparison.Ordinal);
    }
}
