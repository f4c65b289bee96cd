using Consortia.Federation.Jobs;
using Consortia.Federation.Strategies.ClientDp;
using Consortia.TestKit;

namespace Consortia.Federation.Tests.Jobs;

public sealed class ClientDpJobFileTests
{
    private const string Valid = """
        name: test
        data:
          format: flamby-heart-disease
          path: data
        model:
          kind: logistic
        training:
          rounds: 3
          local_steps: 5
        strategy:
          kind: fedavg
        privacy:
          dp:
            mode: client-level
            epsilon: 2
            clip: 0.5
            adaptive:
              target_quantile: 0.6
              learning_rate: 0.1
              bit_noise: 3
        """;

    [Fact]
    public void Parse_ClientLevel_ReadsEveryOptionAndWrapsTheStrategy()
    {
        JobDefinition job = JobFile.Parse(Valid, "job.yaml");

        ClientDpSettings dp = Assert.IsType<ClientDpSettings>(job.ClientDp);
        Assert.Null(job.Engine.Dp);
        Assert.Equal(2, dp.Options.TargetEpsilon);
        Assert.Null(dp.Options.NoiseMultiplier);
        Assert.Equal(1e-5, dp.Options.Delta);
        Assert.Equal(0.5, dp.Options.ClipNorm);
        Assert.Equal(0.6, dp.Options.Adaptive!.TargetQuantile);
        Assert.Equal(0.1, dp.Options.Adaptive.LearningRate);
        Assert.Equal(3, dp.Options.Adaptive.BitNoise);
        Assert.Equal(3, dp.TotalRounds);
        Assert.Equal("test", dp.JobId);
        Assert.IsType<ClientDpStrategy>(job.CreateStrategy());
    }

    [Fact]
    public void Parse_ClientLevelWithSecureAggregation_IsDistributedUnlessTheCoordinatorIsTrusted()
    {
        JobDefinition secure = JobFile.Parse(Valid + "\n  secure_aggregation: true\n", "job.yaml");
        JobDefinition trusted = JobFile.Parse(Valid.Replace("    clip: 0.5\n", "    clip: 0.5\n    trusted_coordinator: true\n", StringComparison.Ordinal) + "\n  secure_aggregation: true\n", "job.yaml");
        JobDefinition clear = JobFile.Parse(Valid, "job.yaml");

        Assert.True(secure.ClientDp!.IsDistributed);
        Assert.NotNull(secure.ClientDp.SecureAggregation);
        Assert.True(trusted.ClientDp!.TrustedCoordinator);
        Assert.False(trusted.ClientDp.IsDistributed);
        Assert.False(clear.ClientDp!.IsDistributed); // without secure aggregation the coordinator sees every update anyway

        // Site policies see who adds the noise (rule dp-trusted-coordinator).
        Assert.False(secure.Describe().Dp!.CentralNoise);
        Assert.True(trusted.Describe().Dp!.CentralNoise);
        Assert.True(clear.Describe().Dp!.CentralNoise);
    }

    [Fact]
    public void Parse_Mechanism_DefaultsToTheDiscreteGaussian_SkellamOnRequest_OthersRefusedByName()
    {
        JobDefinition byDefault = JobFile.Parse(Valid, "job.yaml");
        JobDefinition skellam = JobFile.Parse(Valid.Replace("    clip: 0.5\n", "    clip: 0.5\n    mechanism: skellam\n", StringComparison.Ordinal), "job.yaml");
        JobDefinition gaussian = JobFile.Parse(Valid.Replace("    clip: 0.5\n", "    clip: 0.5\n    mechanism: discrete-gaussian\n", StringComparison.Ordinal), "job.yaml");

        Assert.Equal(Privacy.Distributed.DistributedMechanism.DiscreteGaussian, byDefault.ClientDp!.Options.Mechanism);
        Assert.Equal(Privacy.Distributed.DistributedMechanism.Skellam, skellam.ClientDp!.Options.Mechanism);
        Assert.Equal(Privacy.Distributed.DistributedMechanism.DiscreteGaussian, gaussian.ClientDp!.Options.Mechanism);
        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse(Valid.Replace("    clip: 0.5\n", "    clip: 0.5\n    mechanism: laplace\n", StringComparison.Ordinal), "job.yaml"));
        Assert.Contains("privacy.dp.mechanism", error.Message, StringComparison.Ordinal);
        Assert.Contains("laplace", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TrustedCoordinatorWithSampleLevelDp_IsAnUnknownField()
    {
        string text = Valid[..Valid.IndexOf("    mode:", StringComparison.Ordinal)] + "    mode: sample-level\n    noise_multiplier: 1\n    trusted_coordinator: true\n";

        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse(text, "job.yaml"));

        Assert.Contains("trusted_coordinator", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_AdaptiveWithoutAClip_StartsAtInitialClipOrThePapersDefault()
    {
        JobDefinition withInitial = JobFile.Parse(Valid.Replace("    clip: 0.5\n", "", StringComparison.Ordinal).Replace("bit_noise: 3", "bit_noise: 3\n      initial_clip: 0.3", StringComparison.Ordinal), "job.yaml");
        JobDefinition withDefault = JobFile.Parse(Valid.Replace("    clip: 0.5\n", "", StringComparison.Ordinal), "job.yaml");
        JobDefinition fixedClip = JobFile.Parse(Valid[..Valid.IndexOf("    adaptive:", StringComparison.Ordinal)].Replace("    clip: 0.5\n", "", StringComparison.Ordinal), "job.yaml");

        Assert.Equal(0.3, withInitial.ClientDp!.Options.ClipNorm);
        Assert.Equal(0.1, withDefault.ClientDp!.Options.ClipNorm);
        Assert.Equal(1.0, fixedClip.ClientDp!.Options.ClipNorm);
        Assert.Null(fixedClip.ClientDp.Options.Adaptive);
    }

    [Fact]
    public void Parse_ClientLevelWithSecureAggregation_IsValid()
    {
        JobDefinition job = JobFile.Parse(Valid.Replace("privacy:\n", "privacy:\n  secure_aggregation: true\n", StringComparison.Ordinal), "job.yaml");

        Assert.NotNull(job.Engine.SecureAggregation);
        Assert.NotNull(job.ClientDp);
    }

    [Theory]
    [InlineData("mode: client-level", "mode: central", "privacy.dp.mode", 14, "sample-level")]
    [InlineData("kind: fedavg", "kind: scaffold", "privacy.dp.mode", 14, "control variates")]
    [InlineData("kind: fedavg", "kind: krum", "privacy.dp.mode", 14, "individual update")]
    [InlineData("kind: fedavg", "kind: cyclic", "privacy.dp.mode", 14, "fixed order")]
    [InlineData("target_quantile: 0.6", "target_quantile: 1.5", "privacy.dp.adaptive.target_quantile", 18, "")]
    [InlineData("target_quantile: 0.6", "target_quantile: 1", "privacy.dp.adaptive.target_quantile", 18, "(0, 1)")]
    [InlineData("learning_rate: 0.1", "learning_rat: 0.1", "privacy.dp.adaptive.learning_rat", 19, "not a known field")]
    [InlineData("bit_noise: 3", "bit_noise: -3", "privacy.dp.adaptive.bit_noise", 20, "")]
    [InlineData("bit_noise: 3", "bit_noise: 3\n      initial_clip: 0.1", "privacy.dp.adaptive.initial_clip", 21, "not both")]
    [InlineData("clip: 0.5", "clip: 0.5\n    sampling: poisson", "privacy.dp.sampling", 17, "fraction_fit")]
    [InlineData("clip: 0.5", "clip: 0", "privacy.dp.clip", 16, "")]
    [InlineData("epsilon: 2", "epsilon: 2\n    noise_multiplier: 1", "privacy.dp", 14, "exactly one")]
    [InlineData("epsilon: 2", "noise_multiplier: 7", "privacy.dp", 14, "bit_noise")]
    public void Parse_BadClientLevelField_NamesFileLineAndField(string from, string to, string field, int line, string message)
    {
        string text = Valid.Replace(from, to, StringComparison.Ordinal);

        JobFileException error = Assert.Throws<JobFileException>(() => JobFile.Parse(text, "job.yaml"));

        Assert.Equal(field, error.Field);
        Assert.Equal(line, error.Line);
        Assert.StartsWith($"job.yaml:{line}:", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ClientLevelExample_IsValid()
    {
        JobDefinition job = JobFile.Load(RepositoryPaths.Combine("examples", "heart-disease", "dp-fedavg-client.yaml"));

        Assert.NotNull(job.ClientDp);
    }
}
