namespace Consortia.Federation.Strategies.ClientDp;

/// <summary>The noise of a client-level DP-FedAvg job for a given federation size and number of sites sampled.</summary>
/// <param name="SampledSites">m, the sites sampled per round (the fixed denominator).</param>
/// <param name="TotalSites">N, the sites in the federation.</param>
/// <param name="SampleRate">q = m/N, the share of sites drawn per round (informative: the seeded draw amplifies nothing, see <see cref="Privacy.ClientLevel.ClientLevelAccounting"/>).</param>
/// <param name="NoiseMultiplier">z, the total noise multiplier the accountant is charged with per round.</param>
/// <param name="UpdateNoiseMultiplier">The multiplier of the noise on the sum of updates: z, or z_Δ under adaptive clipping.</param>
/// <param name="BitNoise">σ_b, the noise on the count of unclipped updates (adaptive clipping), else <see langword="null"/>.</param>
/// <param name="Epsilon">The job's client-level ε at the configured δ: that of a site taking part in every round, a bound on every site's own ε (the distributed mechanism's own accountant under distributed DP).</param>
public sealed record ClientDpCalibration(int SampledSites, int TotalSites, double SampleRate, double NoiseMultiplier, double UpdateNoiseMultiplier, double? BitNoise, double Epsilon)
{
    /// <summary>Distributed DP: the sites' integer noise (discrete Gaussian or Skellam), or <see langword="null"/> when the coordinator adds Gaussian noise.</summary>
    public Privacy.Distributed.DistributedDpParameters? Distributed { get; init; }
}
