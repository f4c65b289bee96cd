using Consortia.Privacy.Accounting;
using Consortia.Privacy.ClientLevel;

namespace Consortia.Privacy.Tests.ClientLevel;

public sealed class ClientLevelAccountingTests
{
    [Theory]
    [InlineData(1.0, 100)]
    [InlineData(1.1, 13)]
    public void Epsilon_IsTheGaussianMechanismOverTheRoundsTakenPart_WithoutAmplification(double z, long rounds)
    {
        PrivacyGuarantee expected = RdpAccountant.ComputeEpsilon(1.0, z, rounds, 1e-5);

        Assert.Equal(expected.Epsilon, ClientLevelAccounting.Epsilon(z, rounds, 1e-5).Epsilon);
    }

    [Fact]
    public void Epsilon_TenSitesEveryRound_MatchesTheReferenceGuidance()
    {
        // Design reference §4.6: 10 hospitals every round (q = 1), z = 1, 100 rounds → ε ≈ 96; z = 5 → ε ≈ 10.7.
        Assert.InRange(ClientLevelAccounting.Epsilon(1.0, 100, 1e-5).Epsilon, 95, 97);
        Assert.InRange(ClientLevelAccounting.Epsilon(5.0, 100, 1e-5).Epsilon, 10.6, 10.8);
    }

    [Fact]
    public void SiteDrawnIn13Of50Rounds_StaysWithinTheJobsEpsilon_WhereAmplifiedCalibrationUnderstatedIt()
    {
        // The case: ε = 5 over 50 rounds with a quarter of the sites drawn per round. Calibrated as if the
        // draw were a secret Poisson sample at q = 1/4, z was too small: a site drawn in 13 rounds spent ε ≈ 9.7.
        double amplifiedZ = CalibrateAmplified(5, 0.25, 50);
        Assert.InRange(ClientLevelAccounting.Epsilon(amplifiedZ, 13, 1e-5).Epsilon, 9.0, 10.5);

        // Now: the job's z bounds a site drawn in every round, so the site drawn in 13 is well within the job's ε.
        double z = ClientLevelAccounting.Calibrate(5, 1e-5, 50);
        double jobEpsilon = ClientLevelAccounting.Epsilon(z, 50, 1e-5).Epsilon;
        double siteEpsilon = ClientLevelAccounting.Epsilon(z, 13, 1e-5).Epsilon;

        Assert.True(jobEpsilon <= 5);
        Assert.True(siteEpsilon < jobEpsilon);
    }

    [Theory]
    [InlineData(4.0, 15)]
    [InlineData(1.0, 40)]
    public void Calibrate_MeetsTheTargetAndAOnePercentSmallerMultiplierDoesNot(double target, long rounds)
    {
        double z = ClientLevelAccounting.Calibrate(target, 1e-5, rounds);

        Assert.True(ClientLevelAccounting.Epsilon(z, rounds, 1e-5).Epsilon <= target);
        Assert.True(ClientLevelAccounting.Epsilon(z * 0.99, rounds, 1e-5).Epsilon > target);
    }

    private static double CalibrateAmplified(double target, double q, long rounds) =>
        NoiseCalibrator.TryCalibrate(new NoiseCalibrationOptions { TargetEpsilon = target, Delta = 1e-5, SampleRate = q, Steps = rounds }, out NoiseCalibration? result)
            ? result.NoiseMultiplier
            : throw new InvalidOperationException("no z");

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
