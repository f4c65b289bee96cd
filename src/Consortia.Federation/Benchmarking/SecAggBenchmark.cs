using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using Consortia.SecureAggregation;
using Consortia.SecureAggregation.Aggregation;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Quantization;
using Consortia.SecureAggregation.Simulation;

namespace Consortia.Federation.Benchmarking;

/// <summary>
/// The measurement behind <c>consortia bench secagg</c>: one complete secure-aggregation round in process, its cost
/// next to a plain (unprotected) round and the machine's raw AES keystream throughput, all measured in the same run.
/// </summary>
public static class SecAggBenchmark
{
    /// <summary>Runs and times one round.</summary>
    /// <param name="settings">Sites, vector length, dropouts and seed (validated by the caller).</param>
    /// <returns>The timings, the bytes sent and whether the unmasked sum is exact.</returns>
    public static SecAggBenchmarkResult Measure(SecAggBenchmarkSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        int n = settings.Sites;
        int d = settings.Dim;
        Random statistics = new(unchecked((int)(settings.Seed ?? 1)));
        using DeterministicSecureRandom? deterministic = settings.Seed is ulong s ? new DeterministicSecureRandom(s) : null;
        ISecureRandom rounding = deterministic is null ? SystemSecureRandom.Instance : deterministic.Derive(ulong.MaxValue);

        // Site updates in [−1.2, 1.2], clipped to [−1, 1] and quantised with headroom for n summands.
        float[][] updates = [.. Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, d).Select(_ => (float)((statistics.NextDouble() * 2.4) - 1.2)).ToArray())];
        FixedPointCodec codec = new(new FixedPointOptions { ClipRange = 1.0, MaxSummands = n });
        uint[][] encoded = new uint[n][];
        long quantiseTicks = 0;
        for (int i = 0; i < n; i++)
        {
            encoded[i] = new uint[d];
            long started = Stopwatch.GetTimestamp();
            codec.Quantize(updates[i], encoded[i], rounding);
            quantiseTicks += Stopwatch.GetTimestamp() - started;
        }

        int droppedCount = (int)Math.Round(settings.Dropout * n, MidpointRounding.AwayFromZero);
        HashSet<ParticipantIndex> dropped = [.. Enumerable.Range(1, n).OrderBy(_ => statistics.Next()).Take(droppedCount).Select(p => new ParticipantIndex(p))];
        SecAggSessionOptions session = new()
        {
            JobId = "bench-secagg",
            RoundNumber = 1,
            Participants = [.. Enumerable.Range(1, n).Select(i => "site-" + i.ToString("D6", CultureInfo.InvariantCulture))],
            VectorLength = d,
            Threshold = settings.Threshold,
            Neighbours = settings.Neighbours,
            SecurityMode = settings.Mode,
        };
        SecAggSimulationOptions options = new()
        {
            Session = session,
            Seed = settings.Seed,
            EcdsaIdentities = true, // what sites sign with (their roster key)
            Dropouts = settings.DropBeforeMasking ? new DropoutPlan { BeforeMasking = dropped } : new DropoutPlan { BeforeUnmasking = dropped },
        };

        SecAggSimulationResult round = SecAggRoundSimulator.Run(options, [.. encoded.Select(e => (ReadOnlyMemory<uint>)e)]);

        int[] contributors = [.. Enumerable.Range(1, n).Where(p => !settings.DropBeforeMasking || !dropped.Contains(new ParticipantIndex(p)))];
        bool correct = false;
        long decodeTicks = 0;
        if (round.Outcome is SecureAggregationOutcome.Succeeded succeeded)
        {
            uint[] expected = new uint[d];
            foreach (int p in contributors)
            {
                TensorPrimitives.Add(expected, encoded[p - 1], expected);
            }

            float[] decoded = new float[d];
            long started = Stopwatch.GetTimestamp();
            codec.DecodeSum(succeeded.Result.Sum, decoded);
            decodeTicks = Stopwatch.GetTimestamp() - started;
            correct = succeeded.Result.Sum.AsSpan().SequenceEqual(expected)
                && succeeded.Result.Contributors.Select(c => c.Value).SequenceEqual(contributors);
        }

        TimeSpan plain = PlainRound(updates, contributors);
        MaskThroughput throughput = MaskThroughputProbe.Measure(d, TimeSpan.FromMilliseconds(300));
        return new SecAggBenchmarkResult(
            round,
            correct,
            Stopwatch.GetElapsedTime(0, quantiseTicks / n),
            Stopwatch.GetElapsedTime(0, decodeTicks),
            plain,
            throughput,
            round.Outcome is SecureAggregationOutcome.Failed failed ? failed.Failure : null);
    }

    /// <summary>The same round without secure aggregation: the server sums the contributors' float vectors (best of 5).</summary>
    private static TimeSpan PlainRound(float[][] updates, int[] contributors)
    {
        float[] sum = new float[updates[0].Length];
        TimeSpan best = TimeSpan.MaxValue;
        for (int repeat = 0; repeat < 5; repeat++)
        {
            long started = Stopwatch.GetTimestamp();
            Array.Clear(sum);
            foreach (int p in contributors)
            {
                TensorPrimitives.Add(sum, updates[p - 1], sum);
            }

            TimeSpan elapsed = Stopwatch.GetElapsedTime(started);
            best = elapsed < best ? elapsed : best;
        }

        return best;
    }
}
