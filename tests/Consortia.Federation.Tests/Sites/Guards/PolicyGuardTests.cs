using Consortia.Federation.Jobs;
using Consortia.Federation.Sites;
using Consortia.Federation.Sites.Guards;
using Consortia.Federation.Tests.Sites.Pipeline;
using Consortia.Governance.Policies;
using Consortia.Learning.Metrics;
using Consortia.Learning.Models;
using Consortia.TestKit;
using Microsoft.Extensions.Time.Testing;

namespace Consortia.Federation.Tests.Sites.Guards;

public sealed class PolicyGuardTests
{
    private static readonly JobDefinition s_job = TestSites.Job(new ModelSpec(ModelKind.Logistic, 2, []), 4, [MetricKind.Accuracy], ["x0", "x1"]);

    /// <summary>A policy accepting the test job, on weekday evenings (UTC) only, metrics over 10 records or more.</summary>
    private const string EveningPolicy = """
        version: 2
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
          min_cell_count: 10
        columns: [x0, x1]
        schedule:
          - days: [weekdays]
            start_hour_utc: 18
            end_hour_utc: 24
        """;

    private static PolicyGuard Guard(PolicyEvaluator evaluator, TimeProvider time) =>
        new(new SiteId("a"), evaluator, s_job.Describe(), time, null, new SiteAudit(null, s_job.Name));

    [Fact]
    public void Check_NoPolicy_RefusesNamingThePolicyRule()
    {
        PolicyGuard guard = Guard(new PolicyEvaluator(null), new FakeTimeProvider());

        Refused refused = Assert.IsType<Refused>(guard.Check(Drafts.Task()));

        Assert.Equal(PolicyRules.Policy, refused.Rule);
    }

    [Fact]
    public void Check_ReadsTheScheduleFromTheInjectedClock()
    {
        FakeTimeProvider time = new(new DateTimeOffset(2025, 1, 13, 19, 0, 0, TimeSpan.Zero)); // a Monday, 19:00 UTC
        PolicyGuard guard = Guard(new PolicyEvaluator(SitePolicyLoader.Parse(EveningPolicy, "site.yaml")), time);

        Refused? inside = guard.Check(Drafts.Task());
        time.Advance(TimeSpan.FromHours(12)); // Tuesday 07:00 UTC
        Refused? outside = guard.Check(Drafts.Task());

        Assert.Null(inside);
        Assert.Equal(PolicyRules.Schedule, Assert.IsType<Refused>(outside).Rule);
    }

    [Fact]
    public void Check_JobOutsideThePolicy_RefusedBeforeAnyRound()
    {
        FakeTimeProvider time = new(new DateTimeOffset(2025, 1, 13, 19, 0, 0, TimeSpan.Zero));
        SitePolicy policy = SitePolicyLoader.Parse(EveningPolicy.Replace("models: [logistic]", "models: [mlp]", StringComparison.Ordinal), "site.yaml");
        PolicyGuard guard = Guard(new PolicyEvaluator(policy), time);

        Refused refused = Assert.IsType<Refused>(guard.Check(Drafts.Task()));

        Assert.Equal(PolicyRules.Model, refused.Rule);
    }

    [Theory]
    [InlineData(9, true)]
    [InlineData(10, false)]
    public void Release_MetricOverFewerRecordsThanTheMinimum_IsWithheld(int records, bool withheld)
    {
        PolicyGuard guard = Guard(new PolicyEvaluator(SitePolicyLoader.Parse(EveningPolicy, "site.yaml")), new FakeTimeProvider());

        MetricValue metric = guard.Release(MetricKind.Accuracy, 0.8, records);

        Assert.Equal(withheld, double.IsNaN(metric.Value));
    }
}
