using Consortia.Governance.Policies;

namespace Consortia.Governance.Tests.Support;

/// <summary>Builders for policies and jobs that pass every rule, to be varied one field at a time.</summary>
public static class Some
{
    /// <summary>Wednesday 2025-01-15 20:00 UTC: inside <see cref="PolicyYaml"/>'s weekday evening window.</summary>
    public static readonly DateTimeOffset InsideWindow = new(2025, 1, 15, 20, 0, 0, TimeSpan.Zero);

    /// <summary>Wednesday 2025-01-15 10:00 UTC: outside every window.</summary>
    public static readonly DateTimeOffset OutsideWindow = new(2025, 1, 15, 10, 0, 0, TimeSpan.Zero);

    public const string PolicyYaml = """
        # Site policy of the Cleveland clinic for the heart-disease consortium.
        version: 3
        site: cleveland
        consortia: [heart-consortium]
        owners: [alice@lead.example.org, bob@lead.example.org]
        models: [logistic, mlp]
        strategies: [fedavg, fedprox, fedadam]
        protections:
          secure_aggregation: true
          min_sites_per_aggregate: 3
          differential_privacy:
            required: true
            mode: client-level
            epsilon_ceiling_per_job: 4.0
            lifetime_epsilon_budget: 10.0
            delta: 1.0e-5
        outputs:
          masked_updates: true
          plain_updates: false
          aggregate_metrics: true
          min_cell_count: 10
        columns: [age, sex, cp, trestbps, chol, target]
        schedule:
          - days: [weekdays]
            start_hour_utc: 18
            end_hour_utc: 24
          - days: [sat, sun]
            start_hour_utc: 0
            end_hour_utc: 24
        """;

    public static SitePolicy Policy() => SitePolicyLoader.Parse(PolicyYaml, "site.yaml");

    public static JobDescriptor Job() => new(
        JobId: "heart-fedavg",
        Consortium: "heart-consortium",
        Owner: "alice@lead.example.org",
        ModelKind: "logistic",
        Strategy: "fedavg",
        SecureAggregation: true,
        MinSitesPerAggregate: 4,
        Dp: new DpDescriptor(DpMode.ClientLevel, 2.0, 1e-6),
        Outputs: ["aggregate-metrics"],
        Columns: ["age", "sex", "chol", "target"]);

    public const string JobYaml = """
        version: 1
        name: heart-fedavg
        consortium: heart-consortium
        owner: alice@lead.example.org
        seed: 42
        data:
          format: csv
          columns: [age, sex, chol, target]
        model:
          kind: logistic
        training:
          rounds: 5
        strategy:
          kind: fedavg
        privacy:
          secure_aggregation:
            enabled: true
          dp:
            mode: client-level
            epsilon: 2.0
            delta: 1.0e-6
        min_sites: 4
        outputs: [aggregate-metrics]
        """;
}
