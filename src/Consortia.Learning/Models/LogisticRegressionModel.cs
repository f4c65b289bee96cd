using System.Numerics.Tensors;

namespace Consortia.Learning.Models;

/// <summary>Logistic regression: p = σ(w·x + b), mean binary cross-entropy, optional L2 on w.</summary>
internal sealed class LogisticRegressionModel : IModel
{
    private readonly float[] _logits;
    private readonly int _features;

    public LogisticRegressionModel(ModelSpec spec, int maxBatchSize)
    {
        Spec = spec;
        Layout = spec.CreateLayout();
        MaxBatchSize = maxBatchSize;
        _features = spec.FeatureCount;
        _logits = new float[maxBatchSize];
    }

    public ModelSpec Spec { get; }

    public ParameterLayout Layout { get; }

    public int MaxBatchSize { get; }

    /// <remarks>Ignored: one dot product per row is too little work to split.</remarks>
    public int Threads { get; set; } = 1;

    public void Initialize(Span<float> parameters, RandomSource random)
    {
        // PyTorch nn.Linear: weight and bias ~ U(−1/√fan_in, 1/√fan_in).
        float bound = 1f / MathF.Sqrt(_features);
        for (int i = 0; i < parameters.Length; i++)
        {
            parameters[i] = (float)(((2.0 * random.NextDouble()) - 1.0) * bound);
        }
    }

    public float LossAndGradient(ReadOnlySpan<float> parameters, Batch batch, Span<float> gradient)
    {
        int n = batch.Rows;
        int d = _features;
        ReadOnlySpan<float> w = parameters[..d];
        float b = parameters[d];
        Span<float> z = _logits.AsSpan(0, n);
        for (int r = 0; r < n; r++)
        {
            z[r] = TensorPrimitives.Dot(batch.Features.Slice(r * d, d), w) + b;
        }

        float loss = BinaryCrossEntropy.MeanLossAndLogitGradient(z, batch.Labels[..n]);

        Span<float> gw = gradient[..d];
        gw.Clear();
        for (int r = 0; r < n; r++)
        {
            TensorPrimitives.MultiplyAdd(batch.Features.Slice(r * d, d), z[r], gw, gw);
        }

        gradient[d] = TensorPrimitives.Sum<float>(z);
        if (Spec.L2 > 0f)
        {
            loss += 0.5f * Spec.L2 * TensorPrimitives.Dot(w, w);
            TensorPrimitives.MultiplyAdd(w, Spec.L2, gw, gw);
        }

        return loss;
    }

    public float ClippedGradientSum(ReadOnlySpan<float> parameters, Batch batch, float clipNorm, Span<float> clippedSum, Span<float> norms)
    {
        int n = batch.Rows;
        int d = _features;
        ReadOnlySpan<float> w = parameters[..d];
        float b = parameters[d];
        Span<float> z = _logits.AsSpan(0, n);
        for (int r = 0; r < n; r++)
        {
            z[r] = TensorPrimitives.Dot(batch.Features.Slice(r * d, d), w) + b;
        }

        // Per-example errors σ(z) − y: the mean-loss gradient times n.
        float loss = BinaryCrossEntropy.MeanLossAndLogitGradient(z, batch.Labels[..n]);
        TensorPrimitives.Multiply(z, n, z);
        Span<float> gw = clippedSum[..d];
        gw.Clear();
        float bias = 0f;
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<float> x = batch.Features.Slice(r * d, d);
            float norm = MathF.Abs(z[r]) * MathF.Sqrt(TensorPrimitives.Dot(x, x) + 1f);
            norms[r] = norm;
            float scaled = z[r] * DpClipping.Scale(norm, clipNorm);
            TensorPrimitives.MultiplyAdd(x, scaled, gw, gw);
            bias += scaled;
        }

        clippedSum[d] = bias;
        return loss;
    }

    public void Predict(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, Span<float> output)
    {
        int d = _features;
        ReadOnlySpan<float> w = parameters[..d];
        float b = parameters[d];
        int rows = features.Length / d;
        for (int r = 0; r < rows; r++)
        {
            output[r] = TensorPrimitives.Dot(features.Slice(r * d, d), w) + b;
        }

        TensorPrimitives.Sigmoid(output[..rows], output[..rows]);
    }
}
