using Consortia.Governance.Manifests;
using Consortia.Governance.Policies;
using Consortia.Governance.Tests.Support;

namespace Consortia.Governance.Tests.Manifests;

public sealed class JobManifestReaderTests
{
    [Fact]
    public void Parse_FullJob_MapsEveryPolicyField()
    {
        JobDescriptor job = JobManifestReader.Parse(Some.JobYaml, "job.yaml");

        Assert.Equal(Some.Job() with { Outputs = job.Outputs, Columns = job.Columns }, job with { Rounds = null });
        Assert.Equal(["aggregate-metrics"], job.Outputs);
        Assert.Equal(["age", "sex", "chol", "target"], job.Columns);
        Assert.Equal(5, job.Rounds);
    }

    [Fact]
    public void Parse_ShippedSimulationJob_MissingFieldsBecomeRefusableBlanks()
    {
        const string yaml = """
            version: 1
            name: heart-disease-fedavg
            model:
              kind: logistic
            training:
              rounds: 15
            strategy:
              kind: fedavg
            """;

        JobDescriptor job = JobManifestReader.Parse(yaml, "fedavg.yaml");

        Assert.Equal("heart-disease-fedavg", job.JobId);
        Assert.Equal(string.Empty, job.Consortium);
        Assert.False(job.SecureAggregation);
        Assert.Null(job.Dp);
        Assert.Null(job.MinSitesPerAggregate);
        Assert.Empty(job.Columns);
        Assert.Equal(15, job.Rounds);
        Assert.False(new PolicyEvaluator(Some.Policy()).Evaluate(job, Some.InsideWindow).Accepted);
    }

    [Theory]
    [InlineData("privacy:\n  secure_aggregation: true\n", true)]
    [InlineData("privacy:\n  secure_aggregation: no\n", false)]
    [InlineData("privacy:\n  secure_aggregation:\n    enabled: false\n", false)]
    [InlineData("privacy:\n  secure_aggregation: {}\n", true)]
    public void Parse_SecureAggregationForms_Read(string privacy, bool expected)
    {
        JobDescriptor job = JobManifestReader.Parse("name: j\nstrategy:\n  name: FedProx\n" + privacy, "j.yaml");

        Assert.Equal(expected, job.SecureAggregation);
        Assert.Equal("fedprox", job.Strategy);
    }

    [Theory]
    [InlineData("name: j\nprivacy:\n  dp:\n    mode: sample-level\n    epsilon: lots\n    delta: 1e-5\n", 5, "privacy.dp.epsilon")]
    [InlineData("name: j\nprivacy:\n  dp:\n    mode: row-level\n    epsilon: 1\n    delta: 1e-5\n", 4, "privacy.dp.mode")]
    [InlineData("name: j\nmin_sites: -2\n", 2, "min_sites")]
    [InlineData("name: j\ndata:\n  columns: {a: 1}\n", 3, "data.columns")]
    public void Parse_WrongType_ErrorNamesLineAndField(string yaml, long line, string field)
    {
        JobManifestException error = Assert.Throws<JobManifestException>(() => JobManifestReader.Parse(yaml, "j.yaml"));

        Assert.Equal(line, error.Line);
        Assert.Equal(field, error.Field);
        Assert.StartsWith($"j.yaml:{line}:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NoName_Throws()
    {
        JobManifestException error = Assert.Throws<JobManifestException>(() => JobManifestReader.Parse("model:\n  kind: mlp\n", "j.yaml"));

        Assert.Equal("name", error.Field);
    }
}
