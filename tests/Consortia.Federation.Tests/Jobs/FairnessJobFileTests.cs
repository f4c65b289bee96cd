using Consortia.Federation.Jobs;

namespace Consortia.Federation.Tests.Jobs;

/// <summary>The job file's <c>fairness:</c> section and <c>strategy.kind: qffl</c> with its exponent q.</summary>
public sealed class FairnessJobFileTests
{
    // Line numbers in the theories below count from "name: test" as line 1.
    private const string Valid = """
        name: test
        seed: 7
        data:
          format: flamby-heart-disease
          path: data
        model:
          kind: logistic
        training:
          rounds: 3
          local_steps: 5
          batch_size: 4
          optimizer:
            kind: sgd
            learning_rate: 0.01
        strategy:
          kind: qffl
          q: 2.5
        fairness:
          groups:
            sex: {column: sex, values: {female: 0, male: 1}}
            age_band: {column: age, bands: [55, 65]}
          threshold: 0.4
          reweighting: sex
        """;

    [Fact]
    public void Parse_FairnessAndQffl_BindEveryField()
    {
        JobDefinition job = JobFile.Parse(Valid, "job.yaml");

        Assert.Equal(StrategyKind.QFfl, job.Strategy.Kind);
        Assert.Equal(2.5f, job.Training.FairnessQ);
        FairnessSettings fairness = Assert.IsType<FairnessSettings>(job.Fairness);
        Assert.Equal(["sex", "age_band"], fairness.Groups.Select(g => g.Name));
        Assert.Equal(["female", "male"], fairness.Groups[0].Groups.Select(g => g.Name));
        Assert.Equal([0.0, 1.0], fairness.Groups[0].Groups.Select(g => g.Value!.Value));
        Assert.Equal("age", fairness.Groups[1].Column);
        Assert.Equal(["<55", "55-65", ">=65"], fairness.Groups[1].Groups.Select(g => g.Name));
        Assert.Equal((55.0, 65.0), (fairness.Groups[1].Groups[1].Lower, fairness.Groups[1].Groups[1].Upper));
        Assert.Equal(0.4f, fairness.Threshold);
        Assert.Equal("sex", fairness.Reweighting);
    }

    [Fact]
    public void Parse_ReweightingWithSampleLevelDp_IsRefusedNamingTheField_ClientLevelIsAccepted()
    {
        string sampleLevel = Valid.Replace("kind: qffl\n  q: 2.5", "kind: fedavg", StringComparison.Ordinal)
            + "\nprivacy:\n  dp:\n    mode: sample-level\n    epsilon: 4\n    delta: 1.0e-5\n    clip: 1.0\n";

        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse(sampleLevel, "job.yaml"));
        JobDefinition clientLevel = JobFile.Parse(sampleLevel.Replace("sample-level", "client-level", StringComparison.Ordinal), "job.yaml");

        Assert.Equal("fairness.reweighting", error.Field);
        Assert.Contains("bounds each training row, not each patient", error.Message, StringComparison.Ordinal);
        Assert.Equal("sex", clientLevel.Fairness!.Reweighting);
        Assert.NotNull(clientLevel.ClientDp);
    }

    [Fact]
    public void Parse_DefaultsAndAbsence_QIsOneThresholdHalfNoFairness()
    {
        JobDefinition defaults = JobFile.Parse(Valid.Replace("  q: 2.5\n", "", StringComparison.Ordinal)
            .Replace("  threshold: 0.4\n", "", StringComparison.Ordinal).Replace("\n  reweighting: sex", "", StringComparison.Ordinal), "job.yaml");
        JobDefinition plain = JobFile.Parse(Valid[..Valid.IndexOf("fairness:", StringComparison.Ordinal)].Replace("kind: qffl\n  q: 2.5", "kind: fedavg", StringComparison.Ordinal), "job.yaml");

        Assert.Equal(1f, defaults.Training.FairnessQ);
        Assert.Equal(0.5f, defaults.Fairness!.Threshold);
        Assert.Null(defaults.Fairness.Reweighting);
        Assert.Null(plain.Fairness);
        Assert.Null(plain.Training.FairnessQ);
        Assert.Equal(StrategyKind.FedAvg, plain.Strategy.Kind);
    }

    [Theory]
    [InlineData("reweighting: sex", "reweighting: race", "fairness.reweighting", 23, "not one of the attributes")]
    [InlineData("threshold: 0.4", "threshold: 1.5", "fairness.threshold", 22, "")]
    [InlineData("threshold: 0.4", "threshold: high", "fairness.threshold", 22, "")]
    [InlineData("bands: [55, 65]", "bands: [65, 55]", "fairness.groups.age_band.bands", 21, "increasing")]
    [InlineData("bands: [55, 65]", "bands: [55, old]", "fairness.groups.age_band.bands", 21, "increasing")]
    [InlineData("{female: 0, male: 1}", "{female: 0, male: 0}", "fairness.groups.sex.values.male", 20, "used by another group")]
    [InlineData("{female: 0, male: 1}", "{female: 0, male: m}", "fairness.groups.sex.values.male", 20, "number")]
    [InlineData("{female: 0, male: 1}", "{female: 0}", "fairness.groups.sex.values", 20, "at least two groups")]
    [InlineData("{column: sex, values:", "{values:", "fairness.groups.sex.column", 20, "")]
    [InlineData("bands: [55, 65]}", "bands: [55, 65], values: {a: 1, b: 2}}", "fairness.groups.age_band.bands", 21, "not both")]
    [InlineData("bands: [55, 65]}", "bands: [55, 65], colour: red}", "fairness.groups.age_band.colour", 21, "")]
    [InlineData("  reweighting: sex", "  reweighting: sex\n  extra: 1", "fairness.extra", 24, "")]
    [InlineData("  q: 2.5", "  q: -1", "strategy.q", 17, "")]
    [InlineData("  q: 2.5", "  q: 1000", "strategy.q", 17, "")]
    [InlineData("kind: qffl", "kind: fedavg", "strategy.q", 17, "only qffl")]
    public void Parse_BadFairnessOrQ_NamesFileLineAndField(string from, string to, string field, int line, string says)
    {
        string text = Valid.Replace(from, to, StringComparison.Ordinal);
        Assert.NotEqual(Valid, text);

        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse(text, "job.yaml"));

        Assert.Equal(field, error.Field);
        Assert.Equal(line, error.Line);
        Assert.StartsWith($"job.yaml:{line}:", error.Message, StringComparison.Ordinal);
        Assert.Contains(says, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FairnessWithoutGroups_SaysGroupsIsRequired()
    {
        string text = Valid[..Valid.IndexOf("  groups:", StringComparison.Ordinal)] + "  threshold: 0.5\n";

        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse(text, "job.yaml"));

        Assert.Contains("fairness.groups", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("job.yaml:", error.Message, StringComparison.Ordinal);
    }
}
