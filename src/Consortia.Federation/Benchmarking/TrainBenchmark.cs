using System.Diagnostics;
using Consortia.Data;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Training;
using Consortia.Privacy.DpSgd;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Federation.Benchmarking;

/// <summary>
/// The local-training benchmark behind <c>consortia bench train</c>: examples per second of plain SGD and DP-SGD on an
/// MLP with one hidden layer, batch 64, measured the way <c>torch_dpsgd_bench.py</c> measures PyTorch (warm-up, then
/// the median of several timed runs of at least a given duration each).
/// </summary>
public static class TrainBenchmark
{
    /// <summary>The models compared with PyTorch: input → hidden → 1.</summary>
    public static IReadOnlyList<(int Features, int Hidden)> Models { get; } = [(30, 64), (1000, 256)];

    /// <summary>Measures one model.</summary>
    /// <param name="features">Input width.</param>
    /// <param name="hidden">Hidden width.</param>
    /// <param name="threads">Threads one batch's products may use.</param>
    /// <param name="minimumRun">The least duration of one timed run.</param>
    /// <param name="runs">Timed runs per path (the median is reported).</param>
    /// <returns>The row.</returns>
    /// <remarks>Plain and DP-SGD runs alternate, so that load from other processes on a shared machine hits both alike.</remarks>
    public static TrainThroughputRow Measure(int features, int hidden, int threads, TimeSpan minimumRun, int runs = 5)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(features, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(runs, 1);
        ModelSpec spec = new(ModelKind.Mlp, features, [hidden]);
        RandomSource random = new(1);
        const int rows = 64 * 64; // 64 batches of 64, as the PyTorch script
        float[] x = new float[rows * features];
        float[] y = new float[rows];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = (float)random.NextGaussian();
        }

        for (int r = 0; r < rows; r++)
        {
            y[r] = x[r * features] > 0 ? 1f : 0f;
        }

        Dataset data = new([.. Enumerable.Range(0, features).Select(i => $"f{i}")], x, y);
        LocalTrainingOptions options = new() { BatchSize = 64, LocalEpochs = 1, Threads = threads, Optimizer = new() { LearningRate = 0.05f } };
        float[] parameters = new float[spec.CreateLayout().Length];
        spec.CreateModel(1).Initialize(parameters, random.Derive("init"));
        LocalTrainer plain = new(spec, 64);
        DpSgdTrainer dp = new(spec);
        SeededNoiseSource noise = new(random.Derive("noise"));

        // Warm up both paths (tiered JIT reaches its optimised code), then time them alternately.
        long warmUntil = Stopwatch.GetTimestamp() + (long)(Stopwatch.Frequency * Math.Min(1.0, minimumRun.TotalSeconds));
        while (Stopwatch.GetTimestamp() < warmUntil)
        {
            plain.Train(parameters, data, options, random);
            dp.Train(parameters, data, options, 1.0, 1.0, BatchSampling.Poisson, random, noise);
        }

        double[] plainRates = new double[runs], dpRates = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            plainRates[i] = Rate(() => plain.Train(parameters, data, options, random).ExamplesSeen, minimumRun);
            dpRates[i] = Rate(() => dp.Train(parameters, data, options, 1.0, 1.0, BatchSampling.Poisson, random, noise).ExamplesSeen, minimumRun);
        }

        return new TrainThroughputRow($"{features}-{hidden}-1", threads, Median(plainRates), Median(dpRates));
    }

    /// <summary>Examples per second of repeated passes lasting at least <paramref name="minimum"/> in all.</summary>
    private static double Rate(Func<long> pass, TimeSpan minimum)
    {
        long examples = 0;
        long start = Stopwatch.GetTimestamp();
        TimeSpan elapsed;
        do
        {
            examples += pass();
            elapsed = Stopwatch.GetElapsedTime(start);
        }
        while (elapsed < minimum);
        return examples / elapsed.TotalSeconds;
    }

    private static double Median(double[] values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
