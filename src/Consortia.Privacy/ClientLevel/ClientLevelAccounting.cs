using Consortia.Privacy.Accounting;

namespace Consortia.Privacy.ClientLevel;

/// <summary>
/// Accounting for client-level DP-FedAvg as it is actually run: sites are selected by a fixed-size draw from the
/// job's seed, which the coordinator (and anyone holding the job file) knows, so selection amplifies nothing. A
/// site's loss is one Gaussian mechanism of multiplier z per round it takes part in; rounds compose (RDP).
/// </summary>
/// <remarks>
/// <para>
/// The subsampled-Gaussian bound at rate q = m/N (McMahan et al. 2018) holds only when each site is included
/// independently (Poisson) and the draw is secret from the adversary. Neither holds here: the draw is fixed-size and
/// reproducible from the job seed, and the threat model's coordinator chooses and sees it. Charging it at q = m/N
/// understated the loss of a site that happened to be drawn often: at the z calibrated for ε = 5 over 50 rounds at
/// q = 1/4, a site drawn in 13 of the 50 rounds had spent ε ≈ 9.7.
/// </para>
/// <para>
/// So the job's ε is that of the worst case, a site taking part in every round (<see cref="Epsilon"/> with the job's
/// rounds), and a target ε is calibrated for it (<see cref="Calibrate"/>): every site's actual ε — what its own budget
/// is charged, one mechanism per round it takes part in — is at most the job's ε.
/// </para>
/// </remarks>
public static class ClientLevelAccounting
{
    /// <summary>ε of a site that took part in <paramref name="roundsTakenPart"/> rounds (q = 1 per round: no amplification).</summary>
    /// <param name="noiseMultiplier">z, the total noise multiplier.</param>
    /// <param name="roundsTakenPart">The rounds the site took part in; the job's ε uses all the job's rounds.</param>
    /// <param name="delta">δ.</param>
    /// <returns>ε, δ and the optimal order (Opacus grid, improved conversion).</returns>
    public static PrivacyGuarantee Epsilon(double noiseMultiplier, long roundsTakenPart, double delta) =>
        RdpAccountant.ComputeEpsilon(1.0, noiseMultiplier, roundsTakenPart, delta);

    /// <summary>The smallest z for which a site taking part in all <paramref name="rounds"/> rounds stays within the target.</summary>
    /// <param name="targetEpsilon">The job's client-level ε.</param>
    /// <param name="delta">δ.</param>
    /// <param name="rounds">The job's rounds.</param>
    /// <returns>z.</returns>
    /// <exception cref="InvalidOperationException">No z in the calibrator's bracket reaches the target.</exception>
    public static double Calibrate(double targetEpsilon, double delta, long rounds)
    {
        NoiseCalibrationOptions options = new()
        {
            TargetEpsilon = targetEpsilon,
            Delta = delta,
            SampleRate = 1.0,
            Steps = rounds,
        };
        return NoiseCalibrator.TryCalibrate(options, out NoiseCalibration? result)
            ? result.NoiseMultiplier
            : throw new InvalidOperationException($"No noise multiplier reaches client-level ε = {targetEpsilon} at δ = {delta} over {rounds} rounds.");
    }
}
