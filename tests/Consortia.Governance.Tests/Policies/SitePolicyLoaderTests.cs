using Consortia.Governance.Policies;
using Consortia.Governance.Tests.Support;

namespace Consortia.Governance.Tests.Policies;

public sealed class SitePolicyLoaderTests
{
    [Fact]
    public void Parse_FullExample_ReadsEveryField()
    {
        SitePolicy policy = SitePolicyLoader.Parse(Some.PolicyYaml, "site.yaml");

        Assert.Equal(3, policy.Version);
        Assert.Equal("cleveland", policy.Site);
        Assert.Equal(["heart-consortium"], policy.Consortia);
        Assert.Equal(["alice@lead.example.org", "bob@lead.example.org"], policy.Owners);
        Assert.Equal(["logistic", "mlp"], policy.ModelKinds);
        Assert.Equal(["fedavg", "fedprox", "fedadam"], policy.Strategies);
        Assert.True(policy.Protections.SecureAggregationRequired);
        Assert.Equal(3, policy.Protections.MinSitesPerAggregate);
        Assert.Equal(new DifferentialPrivacyPolicy(true, DpMode.ClientLevel, 4.0, 10.0, 1e-5), policy.Protections.DifferentialPrivacy);
        Assert.Equal(new OutputPolicy(true, false, true, 10), policy.Outputs);
        Assert.Equal(6, policy.Columns.Count);
        Assert.NotNull(policy.Schedule);
        Assert.Equal(2, policy.Schedule.Count);
        Assert.Equal([DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday], policy.Schedule[0].Days);
        Assert.Equal(18, policy.Schedule[0].StartHourUtc);
        Assert.Equal(64, policy.Sha256!.Length);
        Assert.Equal("site.yaml", policy.SourcePath);
    }

    [Theory]
    [InlineData("min_sites_per_aggregate: 3", "min_sites_per_aggregate: three", 10, "protections.min_sites_per_aggregate")]
    [InlineData("models: [logistic, mlp]", "models: [logistic, forest]", 6, "models[1]")]
    [InlineData("mode: client-level", "mode: patient-level", 13, "protections.differential_privacy.mode")]
    [InlineData("  plain_updates: false", "  plain_update: false", 19, "outputs.plain_update")]
    [InlineData("    end_hour_utc: 24\n  - days: [sat, sun]", "    end_hour_utc: 17\n  - days: [sat, sun]", 26, "schedule[0].end_hour_utc")]
    [InlineData("version: 3", "version: 0", 2, "version")]
    [InlineData("delta: 1.0e-5", "delta: 1.5", 16, "protections.differential_privacy.delta")]
    public void Parse_InvalidField_ErrorNamesFileLineAndField(string original, string replacement, long line, string field)
    {
        string yaml = Some.PolicyYaml.Replace(original, replacement, StringComparison.Ordinal);
        Assert.NotEqual(Some.PolicyYaml, yaml);

        PolicyFileException error = Assert.Throws<PolicyFileException>(() => SitePolicyLoader.Parse(yaml, "site.yaml"));

        Assert.Equal("site.yaml", error.FilePath);
        Assert.Equal(line, error.Line);
        Assert.Equal(field, error.Field);
        Assert.StartsWith($"site.yaml:{line}:", error.Message, StringComparison.Ordinal);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("max_evaluations_per_job", null, null)]
    [InlineData("max_evaluations_per_job", "12", 12)]
    [InlineData("max_evaluations_per_job", "0", 0)]
    [InlineData("max_audits_per_job", null, null)]
    [InlineData("max_audits_per_job", "5", 5)]
    [InlineData("max_audits_per_job", "0", 0)]
    public void Parse_OutputCaps_AreReadWhenPresent(string key, string? value, int? expected)
    {
        string yaml = value is null ? Some.PolicyYaml : Some.PolicyYaml.Replace("  min_cell_count: 10", $"  min_cell_count: 10\n  {key}: {value}", StringComparison.Ordinal);

        SitePolicy policy = SitePolicyLoader.Parse(yaml, "site.yaml");

        Assert.Equal(expected, key == "max_audits_per_job" ? policy.Outputs.MaxAuditsPerJob : policy.Outputs.MaxEvaluationsPerJob);
    }

    [Fact]
    public void Parse_NegativeEvaluationCap_NamesTheField()
    {
        string yaml = Some.PolicyYaml.Replace("  min_cell_count: 10", "  min_cell_count: 10\n  max_evaluations_per_job: -1", StringComparison.Ordinal);

        PolicyFileException error = Assert.Throws<PolicyFileException>(() => SitePolicyLoader.Parse(yaml, "site.yaml"));

        Assert.Equal("outputs.max_evaluations_per_job", error.Field);
    }

    [Theory]
    [InlineData("-1", "an integer from 0 to")]
    [InlineData("many", "integer")]
    public void Parse_InvalidAuditCap_NamesTheFieldAndLine(string value, string expected)
    {
        string yaml = Some.PolicyYaml.Replace("  min_cell_count: 10", "  min_cell_count: 10\n  max_audits_per_job: " + value, StringComparison.Ordinal);

        PolicyFileException error = Assert.Throws<PolicyFileException>(() => SitePolicyLoader.Parse(yaml, "site.yaml"));

        Assert.Equal("outputs.max_audits_per_job", error.Field);
        Assert.Equal(yaml.Split('\n').ToList().FindIndex(l => l.Contains("max_audits_per_job", StringComparison.Ordinal)) + 1, error.Line);
        Assert.Contains(expected, error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Parse_MissingRequiredField_NamesIt()
    {
        string yaml = Some.PolicyYaml.Replace("columns: [age, sex, cp, trestbps, chol, target]\n", string.Empty, StringComparison.Ordinal);

        PolicyFileException error = Assert.Throws<PolicyFileException>(() => SitePolicyLoader.Parse(yaml, "site.yaml"));

        Assert.Equal("columns", error.Field);
        Assert.Contains("required field is missing", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("- just\n- a list\n")]
    [InlineData("version: [1, 2\n")]
    [InlineData("a: 1\na: 2\n")]
    [InlineData("version: 'unterminated\n")]
    [InlineData("*undefined\n")]
    public void Parse_MalformedYaml_ThrowsPolicyFileException(string yaml)
    {
        PolicyFileException error = Assert.Throws<PolicyFileException>(() => SitePolicyLoader.Parse(yaml, "bad.yaml"));

        Assert.Equal("bad.yaml", error.FilePath);
    }

    [Fact]
    public void Load_MissingFile_ThrowsNamingTheFile()
    {
        using TempDirectory dir = new();
        string path = dir.File("absent.yaml");

        PolicyFileException error = Assert.Throws<PolicyFileException>(() => SitePolicyLoader.Load(path));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ExampleFiles_AreValid()
    {
        string examples = Path.Combine(RepositoryRoot(), "examples", "policies");
        string[] files = Directory.GetFiles(examples, "*.yaml");

        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            SitePolicy policy = SitePolicyLoader.Load(file);
            Assert.True(policy.Version >= 1);
        }
    }

    internal static string RepositoryRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Consortia.slnx")))
        {
            dir = Path.GetDirectoryName(dir);
        }

        return dir ?? throw new InvalidOperationException("Repository root (Consortia.slnx) not found above " + AppContext.BaseDirectory);
    }
}
