using Consortia.Governance.Policies;
using Consortia.Governance.Tests.Support;

namespace Consortia.Governance.Tests.Policies;

public sealed class PolicyEvaluatorTests
{
    private static readonly string[] s_jobRules =
    [
        PolicyRules.Consortium, PolicyRules.Owner, PolicyRules.Model, PolicyRules.Strategy, PolicyRules.SecureAggregation,
        PolicyRules.MinSites, PolicyRules.DpRequired, PolicyRules.DpEpsilonCeiling, PolicyRules.DpDelta, PolicyRules.DpTrustedCoordinator, PolicyRules.DpBudget,
        PolicyRules.Outputs, PolicyRules.Columns, PolicyRules.Schedule,
    ];

    private static PolicyEvaluator CreateSut() => new(Some.Policy());

    [Fact]
    public void Evaluate_CompliantJob_AcceptedWithEveryRulePassing()
    {
        PolicyDecision decision = CreateSut().Evaluate(Some.Job(), Some.InsideWindow);

        Assert.True(decision.Accepted, string.Join("\n", decision.FailedRules));
        Assert.Equal(s_jobRules, decision.Rules.Select(r => r.Rule));
        Assert.Equal(3, decision.PolicyVersion);
        Assert.NotNull(decision.PolicySha256);
    }

    [Fact]
    public void Evaluate_NoPolicy_RefusesEverything()
    {
        PolicyDecision decision = new PolicyEvaluator(null).Evaluate(Some.Job(), Some.InsideWindow);

        Assert.False(decision.Accepted);
        RuleResult rule = Assert.Single(decision.Rules);
        Assert.Equal(PolicyRules.Policy, rule.Rule);
        Assert.False(rule.Passed);
        Assert.Null(decision.PolicyVersion);
    }

    [Fact]
    public void FromFile_MissingPolicyFile_RefusesEverythingNamingThePath()
    {
        using TempDirectory dir = new();
        string path = dir.File("site-policy.yaml");

        PolicyEvaluator sut = PolicyEvaluator.FromFile(path);
        PolicyDecision decision = sut.Evaluate(Some.Job(), Some.InsideWindow);
        PolicyDecision round = sut.EvaluateRound(new RoundDescriptor("heart-fedavg", 1, 10));

        Assert.Null(sut.Policy);
        Assert.False(decision.Accepted);
        Assert.Contains(path, Assert.Single(decision.Rules).Reason, StringComparison.Ordinal);
        Assert.False(round.Accepted);
    }

    [Fact]
    public void FromFile_InvalidPolicyFile_Throws()
    {
        using TempDirectory dir = new();
        string path = dir.Write("site-policy.yaml", "version: 1\n");

        Assert.Throws<PolicyFileException>(() => PolicyEvaluator.FromFile(path));
    }

    [Fact]
    public void Evaluate_WrongConsortium_RefusedByConsortiumRule() =>
        AssertRefusedOnlyBy(Some.Job() with { Consortium = "other-consortium" }, PolicyRules.Consortium);

    [Fact]
    public void Evaluate_UnknownOwner_RefusedByOwnerRule() =>
        AssertRefusedOnlyBy(Some.Job() with { Owner = "mallory@example.org" }, PolicyRules.Owner);

    [Fact]
    public void Evaluate_DisallowedModel_RefusedByModelRule() =>
        AssertRefusedOnlyBy(Some.Job() with { ModelKind = "cox" }, PolicyRules.Model);

    [Fact]
    public void Evaluate_DisallowedStrategy_RefusedByStrategyRule() =>
        AssertRefusedOnlyBy(Some.Job() with { Strategy = "scaffold" }, PolicyRules.Strategy);

    [Fact]
    public void Evaluate_NoSecureAggregation_RefusedBySecureAggregationRule()
    {
        // Without secure aggregation the update leaves unmasked, which this site's outputs also forbid.
        PolicyDecision decision = CreateSut().Evaluate(Some.Job() with { SecureAggregation = false }, Some.InsideWindow);

        Assert.False(decision.Accepted);
        Assert.Equal([PolicyRules.SecureAggregation, PolicyRules.Outputs], decision.FailedRules.Select(r => r.Rule));
        Assert.Contains("plain-updates", decision.Rules.Single(r => r.Rule == PolicyRules.Outputs).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_TooFewSitesPerAggregate_RefusedByMinSitesRule() =>
        AssertRefusedOnlyBy(Some.Job() with { MinSitesPerAggregate = 2 }, PolicyRules.MinSites);

    [Fact]
    public void Evaluate_NoDeclaredMinimumSites_RefusedByMinSitesRule() =>
        AssertRefusedOnlyBy(Some.Job() with { MinSitesPerAggregate = null }, PolicyRules.MinSites);

    [Fact]
    public void Evaluate_NoDp_RefusedByDpRequiredRule() =>
        AssertRefusedOnlyBy(Some.Job() with { Dp = null }, PolicyRules.DpRequired);

    [Fact]
    public void Evaluate_WrongDpMode_RefusedByDpRequiredRule() =>
        AssertRefusedOnlyBy(Some.Job() with { Dp = new DpDescriptor(DpMode.SampleLevel, 2.0, 1e-6) }, PolicyRules.DpRequired);

    [Fact]
    public void Evaluate_EpsilonAboveCeiling_RefusedByEpsilonCeilingRule() =>
        AssertRefusedOnlyBy(Some.Job() with { Dp = new DpDescriptor(DpMode.ClientLevel, 4.5, 1e-6) }, PolicyRules.DpEpsilonCeiling);

    [Fact]
    public void Evaluate_DeltaAboveLimit_RefusedByDeltaRule() =>
        AssertRefusedOnlyBy(Some.Job() with { Dp = new DpDescriptor(DpMode.ClientLevel, 2.0, 1e-3) }, PolicyRules.DpDelta);

    [Fact]
    public void Evaluate_CentralClientLevelNoise_RefusedOnlyWhenThePolicyForbidsATrustedCoordinator()
    {
        SitePolicy strict = SitePolicyLoader.Parse(Some.PolicyYaml.Replace("    delta: 1.0e-5", "    delta: 1.0e-5\n    allow_trusted_coordinator: false", StringComparison.Ordinal), "site.yaml");
        JobDescriptor central = Some.Job() with { Dp = new DpDescriptor(DpMode.ClientLevel, 2.0, 1e-6) { CentralNoise = true } };

        PolicyDecision refused = new PolicyEvaluator(strict).Evaluate(central, Some.InsideWindow);
        PolicyDecision distributed = new PolicyEvaluator(strict).Evaluate(Some.Job(), Some.InsideWindow);
        PolicyDecision lenient = CreateSut().Evaluate(central, Some.InsideWindow);

        Assert.False(strict.Protections.DifferentialPrivacy!.AllowTrustedCoordinator);
        RuleResult failed = Assert.Single(refused.FailedRules);
        Assert.Equal(PolicyRules.DpTrustedCoordinator, failed.Rule);
        Assert.Contains("distributed DP", failed.Reason, StringComparison.Ordinal);
        Assert.True(distributed.Accepted, string.Join("\n", distributed.FailedRules));
        Assert.True(lenient.Accepted, string.Join("\n", lenient.FailedRules));
    }

    [Fact]
    public void Evaluate_LifetimeBudgetExhausted_RefusedByBudgetRule()
    {
        PolicyDecision decision = CreateSut().Evaluate(Some.Job(), Some.InsideWindow, lifetimeEpsilonSpent: 8.5);

        Assert.False(decision.Accepted);
        RuleResult failed = Assert.Single(decision.FailedRules);
        Assert.Equal(PolicyRules.DpBudget, failed.Rule);
        Assert.Contains("10.5", failed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_BudgetExactlyReached_Accepted()
    {
        PolicyDecision decision = CreateSut().Evaluate(Some.Job(), Some.InsideWindow, lifetimeEpsilonSpent: 8.0);

        Assert.True(decision.Accepted);
    }

    [Fact]
    public void Evaluate_PlainUpdatesDeclared_RefusedByOutputsRule() =>
        AssertRefusedOnlyBy(Some.Job() with { Outputs = ["aggregate-metrics", "plain-updates"] }, PolicyRules.Outputs);

    [Fact]
    public void Evaluate_PerPatientOutput_RefusedByOutputsRuleEvenIfEverythingElseAllowed()
    {
        SitePolicy permissive = Some.Policy() with { Outputs = new OutputPolicy(true, true, true, 1) };

        PolicyDecision decision = new PolicyEvaluator(permissive).Evaluate(Some.Job() with { Outputs = ["per-patient-predictions"] }, Some.InsideWindow);

        RuleResult failed = Assert.Single(decision.FailedRules);
        Assert.Equal(PolicyRules.Outputs, failed.Rule);
        Assert.Contains("never allowed", failed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_UnknownOutputKind_RefusedByOutputsRule() =>
        AssertRefusedOnlyBy(Some.Job() with { Outputs = ["raw-rows"] }, PolicyRules.Outputs);

    [Fact]
    public void Evaluate_AggregateMetricsNotAllowed_RefusedByOutputsRule()
    {
        SitePolicy policy = Some.Policy() with { Outputs = new OutputPolicy(true, false, false, null) };

        PolicyDecision decision = new PolicyEvaluator(policy).Evaluate(Some.Job(), Some.InsideWindow);

        Assert.Equal([PolicyRules.Outputs], decision.FailedRules.Select(r => r.Rule));
    }

    [Fact]
    public void Evaluate_ColumnOutsideAllowList_RefusedByColumnsRuleNamingIt()
    {
        PolicyDecision decision = CreateSut().Evaluate(Some.Job() with { Columns = ["age", "patient_name"] }, Some.InsideWindow);

        RuleResult failed = Assert.Single(decision.FailedRules);
        Assert.Equal(PolicyRules.Columns, failed.Rule);
        Assert.Contains("patient_name", failed.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain("'age'", failed.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Evaluate_UndeclaredColumns_RefusedByColumnsRule() =>
        AssertRefusedOnlyBy(Some.Job() with { Columns = [] }, PolicyRules.Columns);

    [Fact]
    public void Evaluate_OutsideScheduleWindow_RefusedByScheduleRule()
    {
        PolicyDecision decision = CreateSut().Evaluate(Some.Job(), Some.OutsideWindow);

        Assert.Equal([PolicyRules.Schedule], decision.FailedRules.Select(r => r.Rule));
    }

    [Theory]
    [InlineData("2025-01-15T17:59:59Z", false)]
    [InlineData("2025-01-15T18:00:00Z", true)]
    [InlineData("2025-01-15T23:59:59Z", true)]
    [InlineData("2025-01-18T03:00:00Z", true)]
    [InlineData("2025-01-15T20:00:00+05:00", false)]
    public void Evaluate_ScheduleBoundaries_UseUtcHours(string instant, bool accepted)
    {
        PolicyDecision decision = CreateSut().Evaluate(Some.Job(), DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(accepted, decision.Accepted);
    }

    [Fact]
    public void Evaluate_NoScheduleInPolicy_AnyTimeAllowed()
    {
        SitePolicy policy = Some.Policy() with { Schedule = null };

        PolicyDecision decision = new PolicyEvaluator(policy).Evaluate(Some.Job(), Some.OutsideWindow);

        Assert.True(decision.Accepted);
    }

    [Fact]
    public void Evaluate_ManyViolations_ReportsEveryFailedRule()
    {
        JobDescriptor job = Some.Job() with { Consortium = "x", Owner = "y", ModelKind = "cox", Columns = ["ssn"] };

        PolicyDecision decision = CreateSut().Evaluate(job, Some.OutsideWindow);

        Assert.Equal([PolicyRules.Consortium, PolicyRules.Owner, PolicyRules.Model, PolicyRules.Columns, PolicyRules.Schedule], decision.FailedRules.Select(r => r.Rule));
        Assert.Equal(s_jobRules.Length, decision.Rules.Count);
    }

    [Fact]
    public void EvaluateRound_BelowMinimumSites_Refused()
    {
        PolicyDecision decision = CreateSut().EvaluateRound(new RoundDescriptor("heart-fedavg", 7, 2));

        Assert.False(decision.Accepted);
        RuleResult rule = Assert.Single(decision.Rules);
        Assert.Equal(PolicyRules.MinSites, rule.Rule);
        Assert.Contains("round 7", rule.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void EvaluateRound_AtMinimumSites_Accepted()
    {
        PolicyDecision decision = CreateSut().EvaluateRound(new RoundDescriptor("heart-fedavg", 1, 3));

        Assert.True(decision.Accepted);
    }

    [Fact]
    public void EvaluateRound_EpsilonAfterRoundAboveCeiling_Refused()
    {
        RoundDescriptor round = new("heart-fedavg", 9, 5) { JobEpsilonAfterRound = 4.2, LifetimeEpsilonAfterRound = 6.0 };

        PolicyDecision decision = CreateSut().EvaluateRound(round);

        Assert.Equal([PolicyRules.DpEpsilonCeiling], decision.FailedRules.Select(r => r.Rule));
    }

    [Fact]
    public void EvaluateRound_LifetimeBudgetExceeded_Refused()
    {
        RoundDescriptor round = new("heart-fedavg", 9, 5) { JobEpsilonAfterRound = 1.0, LifetimeEpsilonAfterRound = 10.01 };

        PolicyDecision decision = CreateSut().EvaluateRound(round);

        Assert.Equal([PolicyRules.DpBudget], decision.FailedRules.Select(r => r.Rule));
    }

    [Fact]
    public void EvaluateRound_WithTimeOutsideWindow_RefusedBySchedule()
    {
        PolicyDecision decision = CreateSut().EvaluateRound(new RoundDescriptor("heart-fedavg", 1, 5), Some.OutsideWindow);

        Assert.Equal([PolicyRules.Schedule], decision.FailedRules.Select(r => r.Rule));
    }

    [Fact]
    public void SuppressMetric_BelowMinimumCellCount_Suppressed()
    {
        AggregateMetric metric = CreateSut().SuppressMetric("accuracy", 0.83, 9);

        Assert.True(metric.Suppressed);
        Assert.Null(metric.Value);
        Assert.Contains("10", metric.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void SuppressMetric_AtMinimumCellCount_Kept()
    {
        AggregateMetric metric = CreateSut().SuppressMetric("accuracy", 0.83, 10);

        Assert.False(metric.Suppressed);
        Assert.Equal(0.83, metric.Value);
    }

    [Fact]
    public void SuppressMetric_NoPolicy_Suppressed()
    {
        AggregateMetric metric = new PolicyEvaluator(null).SuppressMetric("accuracy", 0.83, 1_000);

        Assert.True(metric.Suppressed);
    }

    [Fact]
    public void Constructor_InvalidPolicy_ThrowsNamingField()
    {
        SitePolicy invalid = Some.Policy() with { Columns = [] };

        ArgumentException error = Assert.Throws<ArgumentException>(() => new PolicyEvaluator(invalid));

        Assert.StartsWith("columns:", error.Message, StringComparison.Ordinal);
    }

    private static void AssertRefusedOnlyBy(JobDescriptor job, string rule)
    {
        PolicyDecision decision = CreateSut().Evaluate(job, Some.InsideWindow);

        Assert.False(decision.Accepted);
        RuleResult failed = Assert.Single(decision.FailedRules);
        Assert.Equal(rule, failed.Rule);
        Assert.False(string.IsNullOrWhiteSpace(failed.Reason));
    }
}
