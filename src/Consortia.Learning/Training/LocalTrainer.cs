using System.Numerics.Tensors;
using Consortia.Learning.Models;
using Consortia.Learning.Optimization;

namespace Consortia.Learning.Training;

/// <summary>Runs mini-batch training of one model on one dataset, reusing its buffers across calls.</summary>
/// <remarks>
/// Batches follow PyTorch's <c>DataLoader(shuffle=True)</c>: a fresh permutation per pass, batches taken in
/// order, the last partial batch kept; step-based training wraps around into the next pass. The training
/// loop allocates nothing per example or per batch. Not thread-safe: one trainer per site.
/// </remarks>
public sealed class LocalTrainer
{
    private readonly IModel _model;
    private readonly float[] _batchFeatures;
    private readonly float[] _batchLabels;
    private readonly float[] _batchTimes;
    private readonly float[] _gradient;
    private int[] _order = [];

    /// <summary>Creates a trainer for models of the given specification.</summary>
    /// <param name="spec">The model specification.</param>
    /// <param name="maxBatchSize">The largest batch size that will be requested.</param>
    public LocalTrainer(ModelSpec spec, int maxBatchSize)
    {
        ArgumentNullException.ThrowIfNull(spec);
        _model = spec.CreateModel(maxBatchSize);
        _batchFeatures = new float[maxBatchSize * spec.FeatureCount];
        _batchLabels = new float[maxBatchSize];
        _batchTimes = new float[maxBatchSize];
        _gradient = new float[_model.Layout.Length];
    }

    /// <summary>The model instance the trainer drives.</summary>
    public IModel Model => _model;

    /// <summary>Trains <paramref name="parameters"/> in place.</summary>
    /// <param name="parameters">The starting parameters; receives the trained ones.</param>
    /// <param name="data">The local training data.</param>
    /// <param name="options">Batch size, step count, optimizer and proximal term.</param>
    /// <param name="random">The source for batch shuffling.</param>
    /// <param name="anchor">The global parameters for the proximal term; empty when μ is 0.</param>
    /// <param name="gradientCorrection">Added to every step's gradient (SCAFFOLD's c − cᵢ); empty for none.</param>
    /// <returns>Steps, examples seen and mean loss.</returns>
    /// <exception cref="ArgumentException">The data is empty or the options are invalid.</exception>
    public LocalTrainingResult Train(
        Span<float> parameters,
        Dataset data,
        LocalTrainingOptions options,
        RandomSource random,
        ReadOnlySpan<float> anchor = default,
        ReadOnlySpan<float> gradientCorrection = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        options.Validate();
        if (data.Count == 0)
        {
            throw new ArgumentException("Cannot train on an empty dataset.", nameof(data));
        }

        if (options.BatchSize > _model.MaxBatchSize)
        {
            throw new ArgumentException($"Batch size {options.BatchSize} exceeds this trainer's {_model.MaxBatchSize}.", nameof(options));
        }

        if (!gradientCorrection.IsEmpty && gradientCorrection.Length != parameters.Length)
        {
            throw new ArgumentException("The gradient correction must have one value per parameter.", nameof(gradientCorrection));
        }

        if (options.ProximalMu > 0f && anchor.Length != parameters.Length)
        {
            throw new ArgumentException("The proximal term needs the global parameters as anchor.", nameof(anchor));
        }

        _model.Threads = options.Threads;
        IOptimizer optimizer = options.Optimizer.Create(parameters.Length);
        int n = data.Count;
        int d = data.FeatureCount;
        if (_order.Length != n)
        {
            _order = new int[n];
        }

        int steps = options.StepsFor(n);
        int position = n; // forces a shuffle before the first batch
        long seen = 0;
        double lossSum = 0;
        Span<float> gradient = _gradient;
        for (int step = 0; step < steps; step++)
        {
            if (position >= n)
            {
                for (int i = 0; i < n; i++)
                {
                    _order[i] = i;
                }

                random.Shuffle(_order.AsSpan());
                position = 0;
            }

            int rows = Math.Min(options.BatchSize, n - position);
            Batch batch = Gather(data, _order.AsSpan(position, rows), d);
            position += rows;

            float loss = _model.LossAndGradient(parameters, batch, gradient);
            if (options.ProximalMu > 0f)
            {
                // ∇ μ/2‖w − w₀‖² = μ(w − w₀), added as μw − μw₀.
                TensorPrimitives.MultiplyAdd(parameters, options.ProximalMu, gradient, gradient);
                TensorPrimitives.MultiplyAdd(anchor, -options.ProximalMu, gradient, gradient);
            }

            if (!gradientCorrection.IsEmpty)
            {
                TensorPrimitives.Add(gradient, gradientCorrection, gradient);
            }

            optimizer.ApplyGradient(parameters, gradient);
            lossSum += loss;
            seen += rows;
        }

        return new LocalTrainingResult(steps, seen, lossSum / steps);
    }

    private Batch Gather(Dataset data, ReadOnlySpan<int> rows, int d)
    {
        ReadOnlySpan<float> labels = data.Labels;
        ReadOnlySpan<float> times = data.Times;
        for (int i = 0; i < rows.Length; i++)
        {
            int r = rows[i];
            data.Row(r).CopyTo(_batchFeatures.AsSpan(i * d, d));
            _batchLabels[i] = labels[r];
            if (data.HasTimes)
            {
                _batchTimes[i] = times[r];
            }
        }

        return new Batch(
            _batchFeatures.AsSpan(0, rows.Length * d),
            _batchLabels.AsSpan(0, rows.Length),
            data.HasTimes ? _batchTimes.AsSpan(0, rows.Length) : default,
            rows.Length);
    }
}
