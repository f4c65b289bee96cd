namespace Consortia.Federation.Benchmarking;

/// <summary>Local training speed of one model: plain mini-batch SGD and DP-SGD, examples per second (median of the timed runs).</summary>
/// <param name="Model">The MLP's shape, e.g. <c>1000-256-1</c>.</param>
/// <param name="Threads">The threads one batch's products could use.</param>
/// <param name="PlainExamplesPerSecond">Plain SGD (shuffle, gather, forward, backward, SGD step) examples per second.</param>
/// <param name="DpExamplesPerSecond">DP-SGD (Poisson batches, per-example clipping, seeded Gaussian noise, step) examples per second.</param>
public sealed record TrainThroughputRow(string Model, int Threads, double PlainExamplesPerSecond, double DpExamplesPerSecond);
