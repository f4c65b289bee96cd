using Consortia.Privacy.Accounting;

namespace Consortia.Privacy.Tests.Accounting;

public sealed class NoiseCalibratorTests
{
    [Theory]
    [InlineData(1.0, 1e-5, 0.01, 1000L)]
    [InlineData(8.0, 1e-5, 0.05, 10000L)]
    [InlineData(3.0, 1e-6, 1.0, 50L)]
    [InlineData(0.5, 1e-5, 0.1, 1L)]
    public void TryCalibrate_Reachable_MeetsTargetAnd99PercentDoesNot(double epsilon, double delta, double q, long steps)
    {
        NoiseCalibrationOptions options = new() { TargetEpsilon = epsilon, Delta = delta, SampleRate = q, Steps = steps };

        Assert.True(NoiseCalibrator.TryCalibrate(options, out NoiseCalibration? result));

        Assert.False(result.AtLowerBound);
        Assert.True(result.Guarantee.Epsilon <= epsilon);
        Assert.Equal(result.Guarantee.Epsilon, RdpAccountant.ComputeEpsilon(q, result.NoiseMultiplier, steps, delta).Epsilon);
        Assert.True(RdpAccountant.ComputeEpsilon(q, 0.99 * result.NoiseMultiplier, steps, delta).Epsilon > epsilon);
        Assert.True(RdpAccountant.ComputeEpsilon(q, result.NoiseMultiplier * (1 - 2e-6), steps, delta).Epsilon > epsilon);
    }

    [Fact]
    public void TryCalibrate_ReferenceAnchor_RecoversNoiseMultiplier()
    {
        // §5.2: q = 0.01, z = 1.1, 1000 steps → ε = 1.711770 (rounded to 6 decimals), so calibrating to it gives z ≈ 1.1.
        NoiseCalibrationOptions options = new() { TargetEpsilon = 1.711770, Delta = 1e-5, SampleRate = 0.01, Steps = 1000 };

        Assert.True(NoiseCalibrator.TryCalibrate(options, out NoiseCalibration? result));

        Assert.Equal(1.1, result.NoiseMultiplier, 1e-5);
        Assert.InRange(result.Evaluations, 3, 40);
    }

    [Fact]
    public void TryCalibrate_UnreachableWithinBracket_ReturnsFalse()
    {
        NoiseCalibrationOptions options = new() { TargetEpsilon = 0.01, Delta = 1e-5, SampleRate = 1.0, Steps = 10_000, MaxNoiseMultiplier = 10 };

        Assert.False(NoiseCalibrator.TryCalibrate(options, out NoiseCalibration? result));
        Assert.Null(result);
    }

    [Fact]
    public void TryCalibrate_LowerBoundAlreadyEnough_ReturnsItFlagged()
    {
        NoiseCalibrationOptions options = new() { TargetEpsilon = 50, Delta = 1e-5, SampleRate = 0.01, Steps = 10, MinNoiseMultiplier = 2 };

        Assert.True(NoiseCalibrator.TryCalibrate(options, out NoiseCalibration? result));

        Assert.True(result.AtLowerBound);
        Assert.Equal(2.0, result.NoiseMultiplier);
    }

    [Theory]
    [InlineData(nameof(NoiseCalibrationOptions.TargetEpsilon))]
    [InlineData(nameof(NoiseCalibrationOptions.Delta))]
    [InlineData(nameof(NoiseCalibrationOptions.SampleRate))]
    [InlineData(nameof(NoiseCalibrationOptions.Steps))]
    [InlineData(nameof(NoiseCalibrationOptions.MaxNoiseMultiplier))]
    [InlineData(nameof(NoiseCalibrationOptions.RelativeTolerance))]
    public void Validate_BadField_NamesIt(string field)
    {
        NoiseCalibrationOptions valid = new() { TargetEpsilon = 1, Delta = 1e-5, SampleRate = 0.1, Steps = 10 };
        NoiseCalibrationOptions bad = field switch
        {
            nameof(NoiseCalibrationOptions.TargetEpsilon) => valid with { TargetEpsilon = -1 },
            nameof(NoiseCalibrationOptions.Delta) => valid with { Delta = 1 },
            nameof(NoiseCalibrationOptions.SampleRate) => valid with { SampleRate = 0 },
            nameof(NoiseCalibrationOptions.Steps) => valid with { Steps = 0 },
            nameof(NoiseCalibrationOptions.MaxNoiseMultiplier) => valid with { MaxNoiseMultiplier = 0.001 },
            _ => valid with { RelativeTolerance = 0 },
        };

        ArgumentException error = Assert.Throws<ArgumentException>(() => NoiseCalibrator.TryCalibrate(bad, out _));

        Assert.Equal(field, error.ParamName);
        Assert.Contains(field, error.Message, StringComparison.Ordinal);
    }
}
