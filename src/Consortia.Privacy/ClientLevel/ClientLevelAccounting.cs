using Consortia.Privacy.Accounting;

namespace Consortia.Privacy.ClientLevel;

/// <summary>
/// Accounting for client-level DP-FedAvg: each round is one sampled Gaussian mechanism with the site-sampling rate
/// q = m/N (sites sampled over sites in the federation) and the total noise multiplier z; rounds compose.
/// </summary>
public static class ClientLevelAccounting
{
    /// <summary>ε after <paramref name="rounds"/> rounds.</summary>
    /// <param name="sampleRate">q = sites sampled per round / sites in the federation, in (0, 1].</param>
    /// <param name="noiseMultiplier">z, the total noise multiplier.</param>
    /// <param name="rounds">The rounds (the accountant's steps).</param>
    /// <param name="delta">δ.</param>
    /// <returns>ε, δ and the optimal order (Opacus grid, improved conversion).</returns>
    public static PrivacyGuarantee Epsilon(double sampleRate, double noiseMultiplier, long rounds, double delta) =>
        RdpAccountant.ComputeEpsilon(sampleRate, noiseMultiplier, rounds, delta);

    /// <summary>The smallest z whose ε over <paramref name="rounds"/> rounds at rate <paramref name="sampleRate"/> meets the target.</summary>
    /// <param name="targetEpsilon">The job's client-level ε.</param>
    /// <param name="delta">δ.</param>
    /// <param name="sampleRate">q = m/N.</param>
    /// <param name="rounds">The job's rounds.</param>
    /// <returns>z.</returns>
    /// <exception cref="InvalidOperationException">No z in the calibrator's bracket reaches the target.</exception>
    public static double Calibrate(double targetEpsilon, double delta, double sampleRate, long rounds)
    {
        NoiseCalibrationOptions options = new()
        {
            TargetEpsilon = targetEpsilon,
            Delta = delta,
            SampleRate = sampleRate,
            Steps = rounds,
        };
        return NoiseCalibrator.TryCalibrate(options, out NoiseCalibration? result)
            ? result.NoiseMultiplier
            : throw new InvalidOperationException($"No noise multiplier reaches client-level ε = {targetEpsilon} at δ = {delta} over {rounds} rounds with site-sampling rate {sampleRate}.");
    }
}
