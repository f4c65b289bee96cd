namespace Consortia.Federation.Benchmarking;

/// <summary>DP-SGD's training throughput beside plain SGD's on the same model and data.</summary>
/// <param name="Model">The MLP's shape, e.g. <c>30-64-1</c>.</param>
/// <param name="DpExamplesPerSecond">DP-SGD examples per second.</param>
/// <param name="PlainExamplesPerSecond">Plain SGD examples per second.</param>
public sealed record DpThroughputRow(string Model, double DpExamplesPerSecond, double PlainExamplesPerSecond);
