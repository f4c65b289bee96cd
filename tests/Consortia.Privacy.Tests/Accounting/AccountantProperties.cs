using Consortia.Privacy.Accounting;
using FsCheck;
using FsCheck.Xunit;

namespace Consortia.Privacy.Tests.Accounting;

/// <summary>Monotonicity of ε and soundness of calibration over generated (q, σ, steps).</summary>
/// <remarks>Seeds are pinned with <c>Replay</c> so every run checks the same cases.</remarks>
public sealed class AccountantProperties
{
    private const double Delta = 1e-5;

    // Maps generated integers to q ∈ [0.001, 1], σ ∈ [0.4, 8] and steps ∈ [1, 5000].
    private static double SampleRate(int raw) => 0.001 + (0.999 * ((raw & 0x3FF) / 1023.0));

    private static double Sigma(int raw) => 0.4 + (7.6 * ((raw & 0x3FF) / 1023.0));

    private static long Steps(int raw) => 1 + (raw & 0xFFF) % 5000;

    [Property(MaxTest = 40, Replay = "(8231,4451)")]
    public bool Epsilon_MoreSteps_NeverSmaller(int q, int sigma, int steps, PositiveInt extra)
    {
        long t = Steps(steps);
        double fewer = RdpAccountant.ComputeEpsilon(SampleRate(q), Sigma(sigma), t, Delta).Epsilon;
        double more = RdpAccountant.ComputeEpsilon(SampleRate(q), Sigma(sigma), t + (extra.Get % 500), Delta).Epsilon;
        return more >= fewer;
    }

    [Property(MaxTest = 40, Replay = "(1713,9917)")]
    public bool Epsilon_HigherSampleRate_NeverSmaller(int q1, int q2, int sigma, int steps)
    {
        double low = Math.Min(SampleRate(q1), SampleRate(q2));
        double high = Math.Max(SampleRate(q1), SampleRate(q2));
        double atLow = RdpAccountant.ComputeEpsilon(low, Sigma(sigma), Steps(steps), Delta).Epsilon;
        double atHigh = RdpAccountant.ComputeEpsilon(high, Sigma(sigma), Steps(steps), Delta).Epsilon;
        return atHigh >= atLow;
    }

    [Property(MaxTest = 40, Replay = "(4242,3131)")]
    public bool Epsilon_MoreNoise_Smaller(int q, int s1, int s2, int steps)
    {
        double small = Math.Min(Sigma(s1), Sigma(s2));
        double large = Math.Max(Sigma(s1), Sigma(s2));
        double atSmall = RdpAccountant.ComputeEpsilon(SampleRate(q), small, Steps(steps), Delta).Epsilon;
        double atLarge = RdpAccountant.ComputeEpsilon(SampleRate(q), large, Steps(steps), Delta).Epsilon;
        return small == large ? atLarge == atSmall : atLarge < atSmall;
    }

    [Property(MaxTest = 40, Replay = "(777,1555)")]
    public bool RdpPerOrder_MoreNoise_Smaller_AndLargerOrder_NotSmaller(int q, int s1, int s2)
    {
        double rate = SampleRate(q);
        double small = Math.Min(Sigma(s1), Sigma(s2));
        double large = Math.Max(Sigma(s1), Sigma(s2)) + 0.01;
        ReadOnlySpan<double> orders = RdpOrderGrid.OpacusDefault.Orders;
        double previous = 0.0;
        for (int i = 0; i < orders.Length; i += 5)
        {
            double atSmall = SampledGaussianRdp.Compute(rate, small, orders[i]);
            double atLarge = SampledGaussianRdp.Compute(rate, large, orders[i]);

            // RDP is non-decreasing in the order (up to rounding) and decreasing in the noise.
            if (atLarge > atSmall || atSmall < previous * (1 - 1e-9))
            {
                return false;
            }

            previous = atSmall;
        }

        return true;
    }

    [Property(MaxTest = 12, Replay = "(2025,6007)")]
    public bool Calibrate_Result_MeetsTargetAnd99PercentDoesNot(int q, int steps, PositiveInt target)
    {
        double rate = SampleRate(q);
        long t = Steps(steps);
        double epsilon = 0.3 + (target.Get % 100 / 10.0);
        NoiseCalibrationOptions options = new() { TargetEpsilon = epsilon, Delta = Delta, SampleRate = rate, Steps = t };

        if (!NoiseCalibrator.TryCalibrate(options, out NoiseCalibration? result))
        {
            return false;
        }

        if (result.AtLowerBound)
        {
            return result.Guarantee.Epsilon <= epsilon;
        }

        double atResult = RdpAccountant.ComputeEpsilon(rate, result.NoiseMultiplier, t, Delta).Epsilon;
        double below = RdpAccountant.ComputeEpsilon(rate, 0.99 * result.NoiseMultiplier, t, Delta).Epsilon;
        return atResult <= epsilon && below > epsilon;
    }
}
