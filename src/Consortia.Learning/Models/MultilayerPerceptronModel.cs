using System.Collections.Immutable;
using System.Numerics.Tensors;

namespace Consortia.Learning.Models;

/// <summary>
/// Multilayer perceptron: dense layers with ReLU between them and one sigmoid output unit, mean binary
/// cross-entropy loss, optional L2 on the weights.
/// </summary>
/// <remarks>
/// Weights are stored as PyTorch does (<c>[out, in]</c>, row-major), so a layer's forward pass is one dot
/// product per (row, unit) and its weight gradient one fused multiply-add per (row, unit). Rows whose
/// back-propagated error is exactly zero (inactive ReLU units) are skipped.
/// </remarks>
internal sealed class MultilayerPerceptronModel : IModel
{
    private readonly int[] _widths;            // input, hidden..., 1
    private readonly int[] _weightOffsets;
    private readonly int[] _biasOffsets;
    private readonly float[][] _activations;   // per layer output (after ReLU for hidden), [maxBatch × width]
    private readonly float[][] _errors;        // per layer d loss / d pre-activation, [maxBatch × width]
    private readonly float[] _rowScale;        // DP-SGD per-example clipping factors

    public MultilayerPerceptronModel(ModelSpec spec, int maxBatchSize)
    {
        Spec = spec;
        Layout = CreateLayout(spec.FeatureCount, spec.HiddenLayers);
        MaxBatchSize = maxBatchSize;
        _widths = [spec.FeatureCount, .. spec.HiddenLayers, 1];
        int layers = _widths.Length - 1;
        _weightOffsets = new int[layers];
        _biasOffsets = new int[layers];
        _activations = new float[layers][];
        _errors = new float[layers][];
        _rowScale = new float[maxBatchSize];
        for (int l = 0; l < layers; l++)
        {
            _weightOffsets[l] = Layout[$"layer{l}.weight"].Offset;
            _biasOffsets[l] = Layout[$"layer{l}.bias"].Offset;
            _activations[l] = new float[maxBatchSize * _widths[l + 1]];
            _errors[l] = new float[maxBatchSize * _widths[l + 1]];
        }
    }

    public ModelSpec Spec { get; }

    public ParameterLayout Layout { get; }

    public int MaxBatchSize { get; }

    public int Threads { get; set; } = 1;

    public static ParameterLayout CreateLayout(int features, ImmutableArray<int> hidden)
    {
        int[] widths = [features, .. hidden, 1];
        var segments = new (string, int[])[2 * (widths.Length - 1)];
        for (int l = 0; l < widths.Length - 1; l++)
        {
            segments[2 * l] = ($"layer{l}.weight", [widths[l + 1], widths[l]]);
            segments[(2 * l) + 1] = ($"layer{l}.bias", [widths[l + 1]]);
        }

        return ParameterLayout.Create(segments);
    }

    public void Initialize(Span<float> parameters, RandomSource random)
    {
        for (int l = 0; l < _widths.Length - 1; l++)
        {
            float bound = 1f / MathF.Sqrt(_widths[l]);
            int count = _widths[l] * _widths[l + 1];
            Fill(parameters.Slice(_weightOffsets[l], count), bound, random);
            Fill(parameters.Slice(_biasOffsets[l], _widths[l + 1]), bound, random);
        }

        static void Fill(Span<float> values, float bound, RandomSource random)
        {
            for (int i = 0; i < values.Length; i++)
            {
                values[i] = (float)(((2.0 * random.NextDouble()) - 1.0) * bound);
            }
        }
    }

    public float LossAndGradient(ReadOnlySpan<float> parameters, Batch batch, Span<float> gradient)
    {
        int n = batch.Rows;
        int layers = _widths.Length - 1;
        Forward(parameters, batch.Features, n);
        Span<float> outputError = _errors[layers - 1].AsSpan(0, n);
        _activations[layers - 1].AsSpan(0, n).CopyTo(outputError);
        float loss = BinaryCrossEntropy.MeanLossAndLogitGradient(outputError, batch.Labels[..n]);
        Backpropagate(parameters, n);
        AccumulateGradients(batch.Features, n, gradient, rowScale: default);

        if (Spec.L2 > 0f)
        {
            for (int l = 0; l < layers; l++)
            {
                int count = _widths[l] * _widths[l + 1];
                ReadOnlySpan<float> w = parameters.Slice(_weightOffsets[l], count);
                Span<float> gw = gradient.Slice(_weightOffsets[l], count);
                loss += 0.5f * Spec.L2 * TensorPrimitives.Dot(w, w);
                TensorPrimitives.MultiplyAdd(w, Spec.L2, gw, gw);
            }
        }

        return loss;
    }

    public float ClippedGradientSum(ReadOnlySpan<float> parameters, Batch batch, float clipNorm, Span<float> clippedSum, Span<float> norms)
    {
        int n = batch.Rows;
        int layers = _widths.Length - 1;
        Forward(parameters, batch.Features, n);
        Span<float> outputError = _errors[layers - 1].AsSpan(0, n);
        _activations[layers - 1].AsSpan(0, n).CopyTo(outputError);
        float loss = BinaryCrossEntropy.MeanLossAndLogitGradient(outputError, batch.Labels[..n]);
        TensorPrimitives.Multiply(outputError, n, outputError); // per-example errors, not the mean's
        Backpropagate(parameters, n);

        // Ghost clipping: ‖g_r‖² = Σ_layers ‖δ_r‖²·(‖a_r‖² + 1) (weights and bias), no per-example gradient built.
        Span<float> scale = _rowScale.AsSpan(0, n);
        for (int r = 0; r < n; r++)
        {
            float squared = 0f;
            for (int l = 0; l < layers; l++)
            {
                ReadOnlySpan<float> e = _errors[l].AsSpan(r * _widths[l + 1], _widths[l + 1]);
                ReadOnlySpan<float> a = l == 0 ? batch.Features.Slice(r * _widths[0], _widths[0]) : _activations[l - 1].AsSpan(r * _widths[l], _widths[l]);
                squared += TensorPrimitives.Dot(e, e) * (TensorPrimitives.Dot(a, a) + 1f);
            }

            norms[r] = MathF.Sqrt(squared);
            scale[r] = DpClipping.Scale(norms[r], clipNorm);
        }

        AccumulateGradients(batch.Features, n, clippedSum, scale);
        return loss;
    }

    /// <summary>Propagates the output errors back through every hidden layer (ReLU derivative applied).</summary>
    private void Backpropagate(ReadOnlySpan<float> parameters, int n)
    {
        for (int l = _widths.Length - 2; l > 0; l--)
        {
            int inWidth = _widths[l];
            int outWidth = _widths[l + 1];
            ReadOnlySpan<float> w = parameters.Slice(_weightOffsets[l], inWidth * outWidth);
            Span<float> previous = _errors[l - 1].AsSpan(0, n * inWidth);
            DenseKernels.Backward(previous, _errors[l], w, n, inWidth, outWidth);

            // ReLU derivative: the error passes only where the unit was active.
            ReadOnlySpan<float> a = _activations[l - 1].AsSpan(0, n * inWidth);
            for (int i = 0; i < previous.Length; i++)
            {
                if (a[i] <= 0f)
                {
                    previous[i] = 0f;
                }
            }
        }
    }

    /// <summary>Σ_r scale_r · δ_r aᵣᵀ for every layer (scale 1 when <paramref name="rowScale"/> is empty).</summary>
    private void AccumulateGradients(ReadOnlySpan<float> features, int n, Span<float> gradient, ReadOnlySpan<float> rowScale)
    {
        gradient.Clear();
        for (int l = 0; l < _widths.Length - 1; l++)
        {
            int inWidth = _widths[l];
            int outWidth = _widths[l + 1];
            ReadOnlySpan<float> input = l == 0 ? features : _activations[l - 1];
            Span<float> gb = gradient.Slice(_biasOffsets[l], outWidth);
            for (int r = 0; r < n; r++)
            {
                float scale = rowScale.IsEmpty ? 1f : rowScale[r];
                TensorPrimitives.MultiplyAdd(_errors[l].AsSpan(r * outWidth, outWidth), scale, gb, gb);
            }

            DenseKernels.AccumulateOuter(gradient.Slice(_weightOffsets[l], inWidth * outWidth), _errors[l], input, rowScale, n, inWidth, outWidth, Threads);
        }
    }

    public void Predict(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, Span<float> output)
    {
        int rows = features.Length / _widths[0];
        int layers = _widths.Length - 1;
        for (int start = 0; start < rows; start += MaxBatchSize)
        {
            int count = Math.Min(MaxBatchSize, rows - start);
            Forward(parameters, features.Slice(start * _widths[0], count * _widths[0]), count);
            TensorPrimitives.Sigmoid(_activations[layers - 1].AsSpan(0, count), output.Slice(start, count));
        }
    }

    /// <summary>Fills the activation buffers; the last layer holds logits.</summary>
    private void Forward(ReadOnlySpan<float> parameters, ReadOnlySpan<float> features, int n)
    {
        int layers = _widths.Length - 1;
        for (int l = 0; l < layers; l++)
        {
            int inWidth = _widths[l];
            int outWidth = _widths[l + 1];
            ReadOnlySpan<float> input = l == 0 ? features : _activations[l - 1];
            ReadOnlySpan<float> b = parameters.Slice(_biasOffsets[l], outWidth);
            Span<float> output = _activations[l].AsSpan(0, n * outWidth);
            DenseKernels.Forward(input, parameters.Slice(_weightOffsets[l], inWidth * outWidth), output, n, inWidth, outWidth, Threads);
            for (int r = 0; r < n; r++)
            {
                Span<float> o = output.Slice(r * outWidth, outWidth);
                TensorPrimitives.Add(o, b, o);
                if (l < layers - 1)
                {
                    TensorPrimitives.Max(o, 0f, o);
                }
            }
        }
    }
}
