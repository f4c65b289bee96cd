using Consortia.Federation.Jobs;
using Consortia.Federation.Strategies.Robust;

namespace Consortia.Federation.Tests.Jobs;

/// <summary>The job-file syntax of <c>personalisation:</c>, <c>simulation.malicious</c> and <c>strategy.norm_bound</c>.</summary>
public sealed class PersonalisationAndDrillJobFileTests
{
    private const string Head = """
        name: test
        data:
          format: flamby-heart-disease
          path: data
        model:
          kind: logistic
        training:
          rounds: 3
          local_steps: 5

        """;

    [Fact]
    public void Parse_Personalisation_ReadsMethodLambdaStepsAndRate()
    {
        JobDefinition job = JobFile.Parse(Head + "personalisation:\n  method: ditto\n  lambda: 0.5\n  local_steps: 20\n  learning_rate: 0.02\n", "job.yaml");

        Assert.Equal(new PersonalisationSettings { Method = PersonalisationMethod.Ditto, Lambda = 0.5, LocalSteps = 20, LearningRate = 0.02f }, job.Personalisation);
        Assert.Equal(PersonalisationMethod.FineTune, JobFile.Parse(Head + "personalisation:\n  method: fine-tune\n", "job.yaml").Personalisation!.Method);
        Assert.Null(JobFile.Parse(Head, "job.yaml").Personalisation);
    }

    [Theory]
    [InlineData("personalisation:\n  lambda: 0.5\n", "personalisation.method")]
    [InlineData("personalisation:\n  method: fedper\n", "personalisation.method")]
    [InlineData("personalisation:\n  method: fine-tune\n  lambda: 0.5\n", "only ditto takes")]
    [InlineData("personalisation:\n  method: ditto\n  lambda: -1\n", "personalisation.lambda")]
    [InlineData("personalisation:\n  method: ditto\n  step: 3\n", "personalisation.step")]
    public void Parse_BadPersonalisation_NamesTheField(string section, string expected)
    {
        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse(Head + section, "job.yaml"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Malicious_ReadsEachSiteWithItsAttackAndFactor()
    {
        JobDefinition job = JobFile.Parse(Head + """
            simulation:
              malicious:
                - {site: site-0, attack: sign-flip, factor: 10}
                - {site: site-1, attack: scale}
                - {site: site-2, attack: label-flip}
            """, "job.yaml");

        Assert.Equal(new[] { new MaliciousSite("site-0", AttackKind.SignFlip, 10), new MaliciousSite("site-1", AttackKind.Scale, 10), new MaliciousSite("site-2", AttackKind.LabelFlip, 1) }, job.Malicious);
        Assert.Equal(-10f, job.Malicious[0].UpdateScale);
        Assert.Empty(JobFile.Parse(Head, "job.yaml").Malicious);
    }

    [Theory]
    [InlineData("simulation:\n  malicious:\n    - {site: a, attack: backdoor}\n", "attack")]
    [InlineData("simulation:\n  malicious:\n    - {attack: scale}\n", "site")]
    [InlineData("simulation:\n  malicious:\n    - {site: a, attack: label-flip, factor: 2}\n", "label-flip takes no factor")]
    [InlineData("simulation:\n  malicious:\n    - {site: a, attack: scale, factor: 0}\n", "factor")]
    [InlineData("simulation:\n  malicious:\n    - {site: a, attack: scale}\n    - {site: a, attack: sign-flip}\n", "listed twice")]
    [InlineData("simulation:\n  attackers: x\n", "simulation.attackers")]
    public void Parse_BadMalicious_NamesTheProblem(string section, string expected)
    {
        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse(Head + section, "job.yaml"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NormBound_WrapsTheStrategy_AndIsRefusedWithSecureAggregation()
    {
        JobDefinition fixedBound = JobFile.Parse(Head + "strategy:\n  kind: fedavg\n  norm_bound: 2.5\n", "job.yaml");
        JobDefinition median = JobFile.Parse(Head + "strategy:\n  kind: fedavg\n  norm_bound: median\n", "job.yaml");

        Assert.Equal(2.5, fixedBound.Strategy.NormBound);
        Assert.IsType<NormBoundingStrategy>(fixedBound.CreateStrategy());
        Assert.True(median.Strategy.NormBoundAtMedian);
        Assert.IsType<NormBoundingStrategy>(median.CreateStrategy());
        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse(Head + "strategy:\n  kind: fedavg\n  norm_bound: median\nprivacy:\n  secure_aggregation: true\n", "job.yaml"));
        Assert.Contains("secure aggregation never reveals", error.Message, StringComparison.Ordinal);
    }
}
