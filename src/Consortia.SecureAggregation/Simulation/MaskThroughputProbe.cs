using System.Diagnostics;

using Consortia.SecureAggregation.Masking;

namespace Consortia.SecureAggregation.Simulation;

/// <summary>Measures mask expansion against the raw AES keystream throughput of the machine, in the same run.</summary>
public static class MaskThroughputProbe
{
    /// <summary>Alternates mask expansions into a vector of <paramref name="dimension"/> coordinates with raw cipher calls over the same bytes.</summary>
    /// <param name="dimension">The vector length (4 bytes per coordinate).</param>
    /// <param name="duration">The measuring time for each of the two (after a short warm-up).</param>
    /// <returns>Both throughputs.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A parameter is not positive.</exception>
    public static MaskThroughput Measure(int dimension, TimeSpan duration)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(duration, TimeSpan.Zero);
        uint[] vector = new uint[dimension];
        byte[] keystream = new byte[((dimension * sizeof(uint)) + 15) & ~15];
        byte[] key = new byte[32];
        using AesCtrMaskExpander expander = new();
        // Warm up long enough for tiered compilation to optimise both paths.
        long warmUpEnd = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 10);
        for (int warmUp = 0; warmUp < 40 || Stopwatch.GetTimestamp() < warmUpEnd; warmUp++)
        {
            expander.Apply(key, vector, MaskDirection.Add);
            expander.EncryptCountersForBenchmark(key, keystream);
        }

        // Interleave short slices of both so that machine load affects them alike.
        long maskTicks = 0, cipherTicks = 0, maskBytes = 0, cipherBytes = 0;
        long budget = (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (maskTicks < budget || cipherTicks < budget)
        {
            key[0]++;
            long start = Stopwatch.GetTimestamp();
            expander.Apply(key, vector, MaskDirection.Add);
            long middle = Stopwatch.GetTimestamp();
            expander.EncryptCountersForBenchmark(key, keystream);
            long end = Stopwatch.GetTimestamp();
            maskTicks += middle - start;
            cipherTicks += end - middle;
            maskBytes += dimension * sizeof(uint);
            cipherBytes += keystream.Length;
        }

        return new MaskThroughput(
            maskBytes / Stopwatch.GetElapsedTime(0, maskTicks).TotalSeconds,
            cipherBytes / Stopwatch.GetElapsedTime(0, cipherTicks).TotalSeconds);
    }
}
