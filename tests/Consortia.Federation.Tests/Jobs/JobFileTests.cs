using Consortia.Data;
using Consortia.Federation.Jobs;
using Consortia.Learning.Models;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Jobs;

public sealed class JobFileTests
{
    private const string Valid = """
        name: test
        seed: 7
        data:
          format: flamby-heart-disease
          path: data
        model:
          kind: mlp
          hidden: [16, 8]
        training:
          rounds: 3
          local_steps: 5
          batch_size: 4
          optimizer:
            kind: adam
            learning_rate: 0.01
        strategy:
          kind: fedprox
          mu: 0.1
        """;

    [Theory]
    [InlineData("examples/heart-disease/fedavg.yaml")]
    [InlineData("examples/tcga-brca/fedavg.yaml")]
    public void Load_ShippedExamples_AreValid(string path)
    {
        JobDefinition job = JobFile.Load(RepositoryPaths.Combine(path.Split('/')));

        Assert.False(string.IsNullOrEmpty(job.Name));
        Assert.NotNull(job.Baselines);
    }

    [Fact]
    public void Parse_ValidJob_BindsEveryField()
    {
        JobDefinition job = JobFile.Parse(Valid, "job.yaml");

        Assert.Equal(7UL, job.Seed);
        Assert.Equal(DataFormat.FlambyHeartDisease, job.Data.Format);
        Assert.Equal(ModelKind.Mlp, job.ModelKind);
        Assert.Equal([16, 8], job.HiddenLayers);
        Assert.Equal(3, job.Engine.Rounds);
        Assert.Equal(5, job.Training.LocalSteps);
        Assert.Equal(0.1f, job.Training.ProximalMu);
        Assert.Equal(StrategyKind.FedProx, job.Strategy.Kind);
    }

    [Theory]
    [InlineData("batch_size: 4", "batch_size: four", "training.batch_size", 12)]
    [InlineData("batch_size: 4", "batch_size: 0", "training.batch_size", 12)]
    [InlineData("kind: mlp", "kind: forest", "model.kind", 7)]
    [InlineData("rounds: 3", "rounds: -1", "training.rounds", 10)]
    [InlineData("learning_rate: 0.01", "learning_rate: .nan", "training.optimizer.learning_rate", 15)]
    [InlineData("learning_rate: 0.01", "learning_rate: -1", "training.optimizer.learning_rate", 15)]
    [InlineData("hidden: [16, 8]", "hidden: [16, x]", "model.hidden", 8)]
    [InlineData("local_steps: 5", "local_stepz: 5", "training.local_stepz", 11)]
    [InlineData("mu: 0.1", "mu: 0.1\n  extra: 1", "strategy.extra", 19)]
    [InlineData("seed: 7", "seed: 7\nconsortium: \"cardio/../x\"", "consortium", 3)]
    [InlineData("seed: 7", "seed: 7\nconsortium: -cardio", "consortium", 3)]
    [InlineData("seed: 7", "seed: 7\nconsortium: [a, b]", "consortium", 3)]
    public void Parse_BadField_NamesFileLineAndField(string from, string to, string field, int line)
    {
        string text = Valid.Replace(from, to, StringComparison.Ordinal);

        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse(text, "job.yaml"));

        Assert.Equal(field, error.Field);
        Assert.Equal(line, error.Line);
        Assert.StartsWith($"job.yaml:{line}:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Consortium_IsBoundAndMarkedAsNamed()
    {
        JobDefinition named = JobFile.Parse(Valid.Replace("seed: 7", "seed: 7\nconsortium: cardio-eu.2026", StringComparison.Ordinal), "job.yaml");
        JobDefinition unnamed = JobFile.Parse(Valid, "job.yaml");

        Assert.Equal("cardio-eu.2026", named.Consortium);
        Assert.True(named.NamesConsortium);
        Assert.Equal(JobDefinition.DefaultConsortium, unnamed.Consortium);
        Assert.False(unnamed.NamesConsortium);
    }

    [Fact]
    public void Parse_MissingSection_SaysItIsRequired()
    {
        string text = Valid[..Valid.IndexOf("model:", StringComparison.Ordinal)];

        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse(text, "job.yaml"));

        Assert.Equal("model", error.Field);
        Assert.Contains("required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NotYaml_ReportsPosition()
    {
        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse("name: [unclosed", "job.yaml"));

        Assert.True(error.Line >= 1);
        Assert.Contains("not valid YAML", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_SaysItCannotBeRead()
    {
        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Load("/nonexistent/job.yaml"));

        Assert.Contains("cannot read", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_RobustStrategyWithSecureAggregation_IsRefusedAtLoad()
    {
        string text = Valid.Replace("kind: fedprox\n  mu: 0.1", "kind: median", StringComparison.Ordinal) + "\nprivacy:\n  secure_aggregation: true\n";

        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse(text, "job.yaml"));

        Assert.Equal("privacy.secure_aggregation", error.Field);
        Assert.Contains("median", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SecureAggregationMapping_BindsSettings()
    {
        string text = Valid + "\nprivacy:\n  secure_aggregation:\n    clip_range: 500\n    threshold: 3\n";

        JobDefinition job = JobFile.Parse(text, "job.yaml");

        Assert.NotNull(job.Engine.SecureAggregation);
        Assert.Equal(500, job.Engine.SecureAggregation.ClipRange);
        Assert.Equal(3, job.Engine.SecureAggregation.Threshold);
    }
}
