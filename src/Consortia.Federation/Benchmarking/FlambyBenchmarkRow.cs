namespace Consortia.Federation.Benchmarking;

/// <summary>One method's results over seeds.</summary>
/// <param name="Method">The row name.</param>
/// <param name="Mean">Mean over seeds of the mean over centers of the test metric.</param>
/// <param name="Sd">Sample standard deviation over seeds of the mean over centers.</param>
/// <param name="PerCenter">Per-center test metric, mean over seeds.</param>
/// <param name="FlambyMean">FLamby's published value, or <see langword="null"/> when FLamby did not run the method.</param>
/// <param name="FlambyPerCenter">FLamby's per-center values, or <see langword="null"/>.</param>
public sealed record FlambyBenchmarkRow(string Method, double Mean, double Sd, IReadOnlyList<double> PerCenter, double? FlambyMean, IReadOnlyList<double>? FlambyPerCenter);
