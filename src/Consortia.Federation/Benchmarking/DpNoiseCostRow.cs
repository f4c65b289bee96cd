namespace Consortia.Federation.Benchmarking;

/// <summary>What distributed DP costs one site per round, beside the fixed-point encoding it replaces.</summary>
/// <param name="Parameters">d, the model's parameter count.</param>
/// <param name="SiteVariance">μ_l, the site's Skellam variance per coordinate (the exact sampler's cost is linear in it).</param>
/// <param name="NoiseMilliseconds">Rotation, conditional rounding and the site's Skellam share, from the operating system's CSPRNG: mean per site per round.</param>
/// <param name="PlainMilliseconds">Fixed-point quantisation of the same update without noise: mean per site per round.</param>
public sealed record DpNoiseCostRow(int Parameters, double SiteVariance, double NoiseMilliseconds, double PlainMilliseconds);
