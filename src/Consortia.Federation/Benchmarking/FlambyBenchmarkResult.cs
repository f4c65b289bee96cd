namespace Consortia.Federation.Benchmarking;

/// <summary>The whole benchmark table of one dataset.</summary>
/// <param name="Dataset">The dataset key.</param>
/// <param name="Metric">The metric's report name.</param>
/// <param name="Centers">The center names in order.</param>
/// <param name="Seeds">The seeds run.</param>
/// <param name="Rows">One row per method.</param>
/// <param name="MajorityBaseline">Per center: the test metric of always predicting that center's majority training class (0.5 for the C-index of a constant score).</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record FlambyBenchmarkResult(
    string Dataset,
    string Metric,
    IReadOnlyList<string> Centers,
    IReadOnlyList<ulong> Seeds,
    IReadOnlyList<FlambyBenchmarkRow> Rows,
    IReadOnlyList<double> MajorityBaseline,
    TimeSpan Elapsed);
