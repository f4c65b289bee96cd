using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Simulation;

namespace Consortia.Federation.Benchmarking;

/// <summary>One measured secure-aggregation round.</summary>
/// <param name="Round">The simulated round with its per-phase timings and bytes.</param>
/// <param name="SumCorrect">Whether the unmasked sum equals the sum of the contributors' quantised inputs.</param>
/// <param name="QuantisePerSite">Mean time to quantise one site's update.</param>
/// <param name="Decode">Time to decode the sum at the server.</param>
/// <param name="Plain">The same round without protection: summing the float vectors (best of 5).</param>
/// <param name="Throughput">Mask expansion and raw AES keystream throughput.</param>
/// <param name="Failure">Why the round failed, or <see langword="null"/>.</param>
public sealed record SecAggBenchmarkResult(
    SecAggSimulationResult Round,
    bool SumCorrect,
    TimeSpan QuantisePerSite,
    TimeSpan Decode,
    TimeSpan Plain,
    MaskThroughput Throughput,
    SecAggFailure? Failure);
