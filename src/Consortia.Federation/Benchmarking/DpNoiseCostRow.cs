namespace Consortia.Federation.Benchmarking;

/// <summary>What distributed DP costs one site per round, beside the fixed-point encoding it replaces.</summary>
/// <param name="Mechanism"><c>discrete-gaussian</c> or <c>skellam</c>.</param>
/// <param name="Parameters">d, the model's parameter count.</param>
/// <param name="SiteVariance">The site's noise variance per coordinate (σ_l² or μ_l; the exact Poisson sampler's cost is linear in it, the discrete Gaussian's is not).</param>
/// <param name="NoiseMilliseconds">Rotation, conditional rounding and the site's noise share, from the operating system's CSPRNG: mean per site per round.</param>
/// <param name="PlainMilliseconds">Fixed-point quantisation of the same update without noise: mean per site per round, measured in the same run.</param>
public sealed record DpNoiseCostRow(string Mechanism, int Parameters, double SiteVariance, double NoiseMilliseconds, double PlainMilliseconds);
