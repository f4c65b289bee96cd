namespace Consortia.Privacy.Distributed;

/// <summary>The integer noise each site adds under distributed DP (job file <c>privacy.dp.mechanism</c>).</summary>
public enum DistributedMechanism
{
    /// <summary>
    /// The distributed discrete Gaussian (Kairouz, Liu, Steinke 2021), drawn by the exact sampler of Canonne, Kamath,
    /// Steinke 2020 at O(1) expected cost per coordinate: the default.
    /// </summary>
    DiscreteGaussian = 0,

    /// <summary>
    /// Distributed Skellam (Agarwal, Kairouz, Liu 2021): exact Poisson differences, closed under summation (no τ term),
    /// but the exact Poisson sampler costs O(variance) per coordinate, which limits it to small models.
    /// </summary>
    Skellam = 1,
}
