using Consortia.Privacy.ClientLevel;
using Consortia.Privacy.Distributed;

namespace Consortia.Privacy.Tests.Distributed;

/// <summary>
/// The distributed discrete Gaussian's RDP against values computed independently with mpmath at 40 digits (Python 3,
/// mpmath 1.3.0), by this script:
/// <code>
/// from mpmath import mp, mpf, exp, sqrt, log, pi, ceil
/// mp.dps = 40
/// def tau(s, n): return 10*sum(exp(-2*pi**2*s*mpf(k)/(k+1)) for k in range(1, n))
/// def rdp(a, d2, d1, d, s, n):
///     a = mpf(a); sig2 = n*s; sig = sqrt(sig2); t = tau(s, n)
///     return min(a*d2**2/(2*sig2) + t*d, a/2*(d2**2/sig2 + 2*d1*t/sig + t**2*d), a/2*(d2/sig + t*sqrt(d))**2)
/// # job ε: D = 1024, R = 128, β = e^-½, Δ₂ = min(R+√D, sqrt(R² + D/4 + sqrt(2 ln(1/β))(R + √D/2))), Δ₁ = Δ₂·min(√D, Δ₂),
/// # t = 4 contributors, σ_l² = (zΔ₂)²/t, T rounds, q = 1, δ = 1e-5, orders 2..128 and 256, improved conversion:
/// # ε = min_α T·rdp(α) + ln((α−1)/α) − (ln δ + ln α)/(α − 1)
/// </code>
/// </summary>
public sealed class DiscreteGaussianAccountantTests
{
    [Fact]
    public void Tau_MatchesMpmath()
    {
        Assert.Equal(0.10513408906420444, DiscreteGaussianAccountant.Tau(0.5, 10), 15);
        Assert.Equal(7.157179628060189e-17, DiscreteGaussianAccountant.Tau(4, 3), 7.157179628060189e-29);
        Assert.Equal(0, DiscreteGaussianAccountant.Tau(0.01, 1));
    }

    [Theory]
    [InlineData(2, 70.3, 70.3 * 32, 1024, 400, 3, 4.1184083333333333)] // first branch, τ negligible
    [InlineData(32, 5, 20, 16, 0.25, 10, 197.52520510794831)] // first branch, τ·d matters
    [InlineData(7, 130, 130 * 64, 4096, 0.9, 5, 13150.517544653168)]
    [InlineData(2, 0.2, 0.2, 4, 0.35, 2, 0.60786857166202264)] // second branch (Δ₁ < Δ₂√d) is the minimum
    public void Rdp_MatchesMpmath(int order, double l2, double l1, int dimension, double siteSigma2, int contributors, double expected)
    {
        double rdp = DiscreteGaussianAccountant.Rdp(order, l2, l1, dimension, siteSigma2, contributors);

        Assert.True(Math.Abs(rdp - expected) <= 1e-12 * expected, $"{rdp} vs {expected}");
    }

    [Fact]
    public void Rdp_LargeNoise_IsTheGaussian()
    {
        // τ vanishes for σ_l ≥ 2, leaving α/(2z²) at σ = zΔ₂.
        double rdp = DiscreteGaussianAccountant.Rdp(9, 100, 3200, 1024, Math.Pow(1.7 * 100, 2) / 4, 4);

        Assert.Equal(9 / (2 * 1.7 * 1.7), rdp, 12);
    }

    [Theory]
    [InlineData(5.0, 20, 4.1619116423544801)]
    [InlineData(2.0, 100, 35.126631103850338)]
    public void Calibrate_JobEpsilon_MatchesMpmath(double z, int rounds, double expected)
    {
        ClientLevelDpOptions options = new() { NoiseMultiplier = z, Delta = 1e-5 };

        DistributedDpParameters parameters = DistributedDp.Calibrate(options, 1000, 6, 4, 1.0, rounds);

        Assert.Equal(DistributedMechanism.DiscreteGaussian, parameters.Mechanism);
        Assert.Equal(1024, parameters.PaddedLength);
        Assert.Equal(128, parameters.Resolution);
        Assert.Equal(129.55307792561318, parameters.L2Sensitivity, 10);
        Assert.True(Math.Abs(parameters.Epsilon - expected) <= 1e-9 * expected, $"{parameters.Epsilon} vs {expected}");
    }

    [Fact]
    public void RoundCurve_FractionalOrders_UseTheNextIntegerOrder()
    {
        DistributedDpParameters parameters = DistributedDp.Calibrate(new ClientLevelDpOptions { NoiseMultiplier = 1.5 }, 100, 5, 3, 1.0, 10);

        double[] curve = DistributedDp.RoundCurve(parameters, [1.1, 2.0, 2.5, 3.0, 64]);

        Assert.Equal(DistributedDp.RoundRdp(parameters, 2), curve[0]);
        Assert.Equal(DistributedDp.RoundRdp(parameters, 2), curve[1]);
        Assert.Equal(DistributedDp.RoundRdp(parameters, 3), curve[2]);
        Assert.Equal(DistributedDp.RoundRdp(parameters, 3), curve[3]);
        Assert.Equal(DistributedDp.RoundRdp(parameters, 64), curve[4]);
    }
}
