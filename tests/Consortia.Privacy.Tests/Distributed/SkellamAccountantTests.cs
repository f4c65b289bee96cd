using Consortia.Privacy.Distributed;
using Consortia.Privacy.Tests.TestVectors;

namespace Consortia.Privacy.Tests.Distributed;

public sealed class SkellamAccountantTests
{
    [Fact]
    public void Rdp_IsTheFormulaOfTheReference()
    {
        // α Δ₂²/(2μ) + min{((2α − 1)Δ₂² + 6Δ₁)/(4μ²), 3Δ₁/(2μ)} at α = 5, Δ₂ = 10, Δ₁ = 40, μ = 400.
        double expected = (5 * 100 / 800.0) + Math.Min(((9 * 100) + 240) / (4 * 160_000.0), 120 / 800.0);

        Assert.Equal(expected, SkellamAccountant.Rdp(5, 10, 40, 400), 15);
        Assert.Equal(double.PositiveInfinity, SkellamAccountant.Rdp(5, 10, 40, 0));
    }

    [Fact]
    public void Rdp_LargeVariance_ApproachesTheGaussian()
    {
        // Scaling Δ and √μ together keeps the Gaussian term and shrinks the discrete correction.
        double gaussian = 7 / (2 * 1.3 * 1.3);
        double skellam = SkellamAccountant.Rdp(7, 1e4, 1e4 * 32, Math.Pow(1.3e4, 2));

        Assert.Equal(gaussian, skellam, 3);
        Assert.True(skellam >= gaussian);
    }

    /// <summary>q = 1 with a Gaussian curve reproduces the integer-grid column of the reference's test vectors (§5.2, column D).</summary>
    [Fact]
    public void Epsilon_GaussianCurveWithoutSampling_MatchesTheIntegerGridVectors()
    {
        IReadOnlyList<EpsilonRow> rows = [.. TestVectorFiles.Epsilons().Where(r => r.Q == 1 && r.Orders == "integer_2_128_256" && r.Conversion == "balle2020")];
        Assert.NotEmpty(rows);
        foreach (EpsilonRow row in rows)
        {
            double sigma = row.NoiseMultiplier;
            double epsilon = SkellamAccountant.Epsilon(1, row.Steps, row.Delta, l => l / (2 * sigma * sigma)).Epsilon;
            Assert.True(Math.Abs(epsilon - row.Epsilon) <= 1e-6 * row.Epsilon, $"{row}: {epsilon} vs {row.Epsilon}");
        }
    }

    /// <summary>The general subsampling bound is an upper bound: never below the exact sampled Gaussian RDP (§5.3 vectors).</summary>
    [Fact]
    public void Subsampled_GaussianCurve_IsAnUpperBoundOnTheExactSampledGaussian()
    {
        IReadOnlyList<RdpValueRow> rows = [.. TestVectorFiles.RdpValues().Where(r => r.Q < 1 && r.Order >= 2 && r.Order == Math.Floor(r.Order))];
        Assert.NotEmpty(rows);
        foreach (RdpValueRow row in rows)
        {
            double sigma = row.NoiseMultiplier;
            double bound = SkellamAccountant.Subsampled((int)row.Order, row.Q, l => l / (2 * sigma * sigma));
            Assert.True(bound >= row.RdpOneStep * (1 - 1e-9), $"{row}: {bound} < {row.RdpOneStep}");
            Assert.True(bound <= row.Order / (2 * sigma * sigma) * (1 + 1e-12), $"{row}: above the unsampled value");
        }
    }

    [Fact]
    public void Subsampled_SmallRate_AmplifiesPrivacy()
    {
        double plain = SkellamAccountant.Rdp(8, 10, 40, 200);
        double sampled = SkellamAccountant.Subsampled(8, 0.01, l => SkellamAccountant.Rdp(l, 10, 40, 200));

        Assert.True(sampled < plain / 10, $"{sampled} vs {plain}");
    }
}
