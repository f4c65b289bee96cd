using Consortia.Privacy.Accounting;
using Consortia.Privacy.ClientLevel;

namespace Consortia.Privacy.Tests.ClientLevel;

public sealed class ClientLevelAccountingTests
{
    [Theory]
    [InlineData(1.0, 1.0, 100)]
    [InlineData(0.1, 1.1, 50)]
    public void Epsilon_IsTheSampledGaussianOverRoundsAtTheSiteSamplingRate(double q, double z, long rounds)
    {
        PrivacyGuarantee expected = RdpAccountant.ComputeEpsilon(q, z, rounds, 1e-5);

        Assert.Equal(expected.Epsilon, ClientLevelAccounting.Epsilon(q, z, rounds, 1e-5).Epsilon);
    }

    [Fact]
    public void Epsilon_TenSitesEveryRound_MatchesTheReferenceGuidance()
    {
        // Design reference §4.6: 10 hospitals every round (q = 1), z = 1, 100 rounds → ε ≈ 96; z = 5 → ε ≈ 10.7.
        Assert.InRange(ClientLevelAccounting.Epsilon(1.0, 1.0, 100, 1e-5).Epsilon, 95, 97);
        Assert.InRange(ClientLevelAccounting.Epsilon(1.0, 5.0, 100, 1e-5).Epsilon, 10.6, 10.8);
    }

    [Theory]
    [InlineData(4.0, 1.0, 15)]
    [InlineData(1.0, 0.25, 40)]
    public void Calibrate_MeetsTheTargetAndAOnePercentSmallerMultiplierDoesNot(double target, double q, long rounds)
    {
        double z = ClientLevelAccounting.Calibrate(target, 1e-5, q, rounds);

        Assert.True(ClientLevelAccounting.Epsilon(q, z, rounds, 1e-5).Epsilon <= target);
        Assert.True(ClientLevelAccounting.Epsilon(q, z * 0.99, rounds, 1e-5).Epsilon > target);
    }

    [Fact]
    public void Options_Validate_NamesTheField()
    {
        Assert.Contains("exactly one", Assert.Throws<ArgumentException>(() => new ClientLevelDpOptions().Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("clip", Assert.Throws<ArgumentException>(() => new ClientLevelDpOptions { ClipNorm = 0, NoiseMultiplier = 1 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("target_quantile", Assert.Throws<ArgumentException>(() => new ClientLevelDpOptions { NoiseMultiplier = 1, Adaptive = new() { TargetQuantile = 1 } }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("bit_noise", Assert.Throws<ArgumentException>(() => new ClientLevelDpOptions { NoiseMultiplier = 1, Adaptive = new() { BitNoise = 0.5 } }.Validate()).Message, StringComparison.Ordinal);
        new ClientLevelDpOptions { TargetEpsilon = 2, Adaptive = new() }.Validate();
    }
}
