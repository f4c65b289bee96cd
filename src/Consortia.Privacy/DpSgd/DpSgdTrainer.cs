using System.Numerics.Tensors;
using Consortia.Learning;
using Consortia.Learning.Models;
using Consortia.Learning.Optimization;
using Consortia.Learning.Training;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Privacy.DpSgd;

/// <summary>
/// Sample-level DP-SGD: each step samples a batch, clips every example's gradient to C (ghost clipping, no
/// per-example gradient is built), adds N(0, σ²C²) to the sum, divides by the expected batch size and steps.
/// </summary>
/// <remarks>
/// Abadi, M. et al. (2016), "Deep Learning with Differential Privacy", CCS. With Poisson sampling at rate
/// q = B/n, T steps cost the sampled Gaussian mechanism's RDP (Mironov, Talwar, Zhang 2019), which the
/// caller charges to the site's budget. The L2 penalty does not depend on data and is added after noising.
/// Only Poisson batches: fixed-size batches have no matching accountant. The training loss is not reported
/// (<see cref="LocalTrainingResult.MeanLoss"/> is NaN): it is computed on the un-noised batches, cross-entropy is
/// unbounded, so releasing it would be a membership signal outside the accounted ε.
/// Not thread-safe: one trainer per site.
/// </remarks>
public sealed class DpSgdTrainer
{
    private readonly IModel _model;
    private readonly int _chunk;
    private readonly float[] _features;
    private readonly float[] _labels;
    private readonly float[] _times;
    private readonly float[] _sum;
    private readonly float[] _chunkSum;
    private readonly float[] _norms;
    private int[] _rows = [];

    /// <summary>Creates a trainer.</summary>
    /// <param name="spec">The model specification.</param>
    /// <param name="chunkSize">Rows per clipped-gradient pass; Poisson batches larger than this are processed in pieces.</param>
    public DpSgdTrainer(ModelSpec spec, int chunkSize = 128)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _chunk = chunkSize;
        _model = spec.CreateModel(chunkSize);
        _features = new float[chunkSize * spec.FeatureCount];
        _labels = new float[chunkSize];
        _times = new float[chunkSize];
        _sum = new float[_model.Layout.Length];
        _chunkSum = new float[_model.Layout.Length];
        _norms = new float[chunkSize];
    }

    /// <summary>Trains <paramref name="parameters"/> in place with DP-SGD.</summary>
    /// <param name="parameters">The starting parameters; receives the trained ones.</param>
    /// <param name="data">The site's training data.</param>
    /// <param name="options">Batch size (the expected batch B), step count and optimizer.</param>
    /// <param name="noiseMultiplier">σ.</param>
    /// <param name="clipNorm">C.</param>
    /// <param name="sampling">Must be <see cref="BatchSampling.Poisson"/> (the accountant's assumption).</param>
    /// <param name="random">Batch sampling randomness.</param>
    /// <param name="noise">Gaussian noise (cryptographic in deployments).</param>
    /// <exception cref="ArgumentOutOfRangeException">σ is negative or not finite, or C is not finite and positive.</exception>
    /// <exception cref="ArgumentException"><paramref name="sampling"/> is not Poisson.</exception>
    /// <returns>What the run did (its mean loss NaN: it stays at the site); its <see cref="LocalTrainingResult.Steps"/> and q = B/n are what the accountant charges.</returns>
    public LocalTrainingResult Train(
        Span<float> parameters, Dataset data, LocalTrainingOptions options, double noiseMultiplier, double clipNorm,
        BatchSampling sampling, RandomSource random, INoiseSource noise)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(noise);
        options.Validate();
        if (sampling != BatchSampling.Poisson)
        {
            throw new ArgumentException("DP-SGD: " + DpSgdOptions.PoissonSamplingRule, nameof(sampling));
        }

        _model.Threads = options.Threads;
        int n = data.Count;
        int expected = Math.Min(options.BatchSize, n);
        double q = (double)expected / n;
        int steps = options.StepsFor(n);
        IOptimizer optimizer = options.Optimizer.Create(parameters.Length);
        if (!(noiseMultiplier >= 0.0) || !double.IsFinite(noiseMultiplier))
        {
            throw new ArgumentOutOfRangeException(nameof(noiseMultiplier), noiseMultiplier, "The noise multiplier must be finite and non-negative.");
        }

        if (!(clipNorm > 0.0) || !double.IsFinite(clipNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(clipNorm), clipNorm, "The clip norm must be finite and positive.");
        }

        float noiseScale = NoiseScale.RoundUp(noiseMultiplier * clipNorm);
        if (_rows.Length < n)
        {
            _rows = new int[n];
        }

        long seen = 0;
        for (int step = 0; step < steps; step++)
        {
            int count = 0;
            for (int i = 0; i < n; i++)
            {
                if (random.NextDouble() < q)
                {
                    _rows[count++] = i;
                }
            }

            ReadOnlySpan<int> batch = _rows.AsSpan(0, count);
            Array.Clear(_sum);
            for (int start = 0; start < batch.Length; start += _chunk)
            {
                int rows = Math.Min(_chunk, batch.Length - start);
                Batch chunk = Gather(data, batch.Slice(start, rows));
                _model.ClippedGradientSum(parameters, chunk, (float)clipNorm, _chunkSum, _norms); // its loss stays here
                TensorPrimitives.Add(_sum, _chunkSum, _sum);
            }

            // Noise σC on the clipped sum, then the mean over the *expected* batch size (the sensitivity is C
            // whatever the realised size, so dividing by it would leak the size).
            // The noise is drawn and added in one vectorised float pass (std rounded up to a float, never below σC).
            if (noiseScale > 0f)
            {
                noise.AddScaledStandardNormals(_sum, noiseScale);
            }

            TensorPrimitives.Divide(_sum, (float)expected, _sum);

            if (_model.Spec.L2 > 0f)
            {
                TensorPrimitives.MultiplyAdd(parameters, _model.Spec.L2, _sum, _sum);
            }

            optimizer.ApplyGradient(parameters, _sum);
            seen += batch.Length;
        }

        return new LocalTrainingResult(steps, seen, double.NaN);
    }

    /// <summary>The sampling rate q = B/n the accountant must use for these options on <paramref name="rows"/> rows.</summary>
    /// <param name="options">The local training options.</param>
    /// <param name="rows">The site's number of training rows.</param>
    /// <returns>q.</returns>
    public static double SampleRate(LocalTrainingOptions options, int rows)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (double)Math.Min(options.BatchSize, rows) / rows;
    }

    private Batch Gather(Dataset data, ReadOnlySpan<int> rows)
    {
        int d = data.FeatureCount;
        ReadOnlySpan<float> labels = data.Labels;
        ReadOnlySpan<float> times = data.Times;
        for (int i = 0; i < rows.Length; i++)
        {
            data.Row(rows[i]).CopyTo(_features.AsSpan(i * d, d));
            _labels[i] = labels[rows[i]];
            if (data.HasTimes)
            {
                _times[i] = times[rows[i]];
            }
        }

        return new Batch(_features.AsSpan(0, rows.Length * d), _labels.AsSpan(0, rows.Length), data.HasTimes ? _times.AsSpan(0, rows.Length) : default, rows.Length);
    }
}
