namespace Consortia.Federation.Sites;

/// <summary>
/// Client-level DP-FedAvg for one round, as sent to each sampled site with its training task: the site clips its
/// whole update to <paramref name="ClipNorm"/> and books the round in its privacy budget before training.
/// </summary>
/// <param name="JobId">The job the site's privacy charges are booked to.</param>
/// <param name="ClipNorm">This round's bound C on the L2 norm of the site's (unweighted) update.</param>
/// <param name="ReportUnclippedBit">Adaptive clipping: the site also contributes b − ½, b = 1[‖Δ‖ ≤ C].</param>
/// <param name="NoiseMultiplier">z, the total noise multiplier the coordinator adds per round (the site's charge).</param>
/// <param name="SampleRate">q = sites sampled / sites in the federation (what the job-level ε assumes).</param>
/// <param name="Delta">δ of the guarantee.</param>
public sealed record ClientDpRound(string JobId, double ClipNorm, bool ReportUnclippedBit, double NoiseMultiplier, double SampleRate, double Delta)
{
    /// <summary>
    /// Distributed DP: the coordinator's calibration of the sites' integer noise (discrete Gaussian or Skellam), which it needs to decode the sum, or
    /// <see langword="null"/> for central noise. Not sent to sites: each site calibrates its own noise from its copy of
    /// the job, so a coordinator cannot talk it into less.
    /// </summary>
    public Privacy.Distributed.DistributedDpParameters? Distributed { get; init; }
}
