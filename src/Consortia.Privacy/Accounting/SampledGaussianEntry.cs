namespace Consortia.Privacy.Accounting;

/// <summary>One composition entry of an <see cref="RdpAccountant"/>: <paramref name="Steps"/> steps of the sampled Gaussian mechanism.</summary>
/// <param name="SampleRate">The Poisson sampling rate q in [0, 1].</param>
/// <param name="NoiseMultiplier">The noise multiplier σ ≥ 0.</param>
/// <param name="Steps">The number of steps (≥ 0).</param>
public sealed record SampledGaussianEntry(double SampleRate, double NoiseMultiplier, long Steps);
