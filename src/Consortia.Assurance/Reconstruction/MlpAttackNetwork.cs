using System.Numerics.Tensors;
using Consortia.Learning.Models;

namespace Consortia.Assurance.Reconstruction;

/// <summary>
/// The attacked MLP in double precision with the one derivative the inversion needs: that of the gradient-matching
/// loss with respect to the guessed records (a derivative of a gradient, written out by hand).
/// </summary>
/// <remarks>
/// For a guess X (B records) with labels y the batch gradient is G(X) = (1/B)·Σᵣ ∇θ ℓᵣ. For any loss L(G) with
/// V = ∂L/∂G held fixed, ∂L/∂xᵣ = (1/B)·∂ψᵣ/∂xᵣ where ψᵣ = ⟨∇θ ℓᵣ, V⟩ is the directional derivative of record r's loss
/// along V in parameter space. ψᵣ is computed by a forward pass carrying a tangent (ż = V_W·a + W·ȧ + V_b, the ReLU
/// masks fixed: their derivative is zero almost everywhere) and ψᵣ = (pᵣ − yᵣ)·ż_out; its derivative with respect to xᵣ
/// is one backward pass through both streams. The tangent stream's adjoint is the ordinary back-propagated error δ,
/// so the whole step costs about three ordinary gradient evaluations. Not thread-safe (scratch buffers).
/// </remarks>
internal sealed class MlpAttackNetwork
{
    private readonly int[] _widths;          // input, hidden…, 1
    private readonly double[][] _w;          // per layer [out × in]
    private readonly double[][] _b;
    private readonly int[] _weightOffsets;   // offsets in the model's flat parameter layout
    private readonly int[] _biasOffsets;
    private readonly int _batch;
    private readonly double[][] _z;          // per layer pre-activations [batch × out]
    private readonly double[][] _a;          // per layer ReLU outputs (hidden layers) [batch × out]
    private readonly double[][] _delta;      // per layer ∂ℓᵣ/∂z (unscaled by 1/B) [batch × out]
    private readonly double[][] _tangent;    // per layer ż [batch × out]
    private readonly double[] _zBar;         // adjoint of z, one layer at a time
    private readonly double[] _aBar;
    private readonly double[] _p;
    private readonly double[] _y;

    public MlpAttackNetwork(ModelSpec spec, ReadOnlySpan<float> parameters, int batch)
    {
        _widths = [spec.FeatureCount, .. spec.HiddenLayers, 1];
        int layers = _widths.Length - 1;
        Learning.ParameterLayout layout = spec.CreateLayout();
        ParameterCount = layout.Length;
        _batch = batch;
        _w = new double[layers][];
        _b = new double[layers][];
        _weightOffsets = new int[layers];
        _biasOffsets = new int[layers];
        _z = new double[layers][];
        _a = new double[layers][];
        _delta = new double[layers][];
        _tangent = new double[layers][];
        int widest = _widths.Max();
        _zBar = new double[widest];
        _aBar = new double[widest];
        _p = new double[batch];
        _y = new double[batch];
        for (int l = 0; l < layers; l++)
        {
            _weightOffsets[l] = layout[$"layer{l}.weight"].Offset;
            _biasOffsets[l] = layout[$"layer{l}.bias"].Offset;
            _w[l] = ToDouble(parameters.Slice(_weightOffsets[l], _widths[l] * _widths[l + 1]));
            _b[l] = ToDouble(parameters.Slice(_biasOffsets[l], _widths[l + 1]));
            _z[l] = new double[batch * _widths[l + 1]];
            _a[l] = new double[batch * _widths[l + 1]];
            _delta[l] = new double[batch * _widths[l + 1]];
            _tangent[l] = new double[batch * _widths[l + 1]];
        }
    }

    public int ParameterCount { get; }

    public int FeatureCount => _widths[0];

    /// <summary>The first layer's width and where its weight and bias gradients sit in the flat layout.</summary>
    public (int Units, int WeightOffset, int BiasOffset) FirstLayer => (_widths[1], _weightOffsets[0], _biasOffsets[0]);

    /// <summary>Subtracts the gradient of the model's L2 penalty (it does not depend on the records) from an observed gradient.</summary>
    public void RemoveL2(Span<double> gradient, double l2)
    {
        for (int l = 0; l < _w.Length; l++)
        {
            Span<double> g = gradient.Slice(_weightOffsets[l], _w[l].Length);
            TensorPrimitives.MultiplyAdd(_w[l], -l2, g, g);
        }
    }

    /// <summary>The batch gradient of the mean log-loss at the guess (records <paramref name="x"/>, soft labels <paramref name="y"/>).</summary>
    public void Gradient(ReadOnlySpan<double> x, ReadOnlySpan<double> y, Span<double> gradient)
    {
        y.CopyTo(_y);
        ForwardAndBackward(x);
        Accumulate(x, gradient);
    }

    /// <summary>
    /// The matching loss between the guess's gradient and <paramref name="target"/>, with its derivative with respect to
    /// every guessed feature (<paramref name="featureGradient"/>) and label logit (<paramref name="labelLogitGradient"/>).
    /// </summary>
    /// <param name="x">Guessed records, row-major [batch × features].</param>
    /// <param name="labelLogits">Guessed labels as logits t (label = σ(t)).</param>
    /// <param name="target">The observed gradient.</param>
    /// <param name="matching">The loss.</param>
    /// <param name="gradient">Scratch of the parameter count: receives the guess's gradient.</param>
    /// <param name="featureGradient">Receives ∂L/∂x.</param>
    /// <param name="labelLogitGradient">Receives ∂L/∂t.</param>
    public double LossAndGuessGradient(
        ReadOnlySpan<double> x, ReadOnlySpan<double> labelLogits, ReadOnlySpan<double> target, GradientMatching matching,
        Span<double> gradient, Span<double> featureGradient, Span<double> labelLogitGradient)
    {
        for (int r = 0; r < _batch; r++)
        {
            _y[r] = Sigmoid(labelLogits[r]);
        }

        ForwardAndBackward(x);
        Accumulate(x, gradient);

        // V = ∂L/∂G, written into `gradient` (G itself is no longer needed once the loss is known).
        double loss;
        if (matching == GradientMatching.SquaredError)
        {
            TensorPrimitives.Subtract(gradient, target, gradient);
            loss = TensorPrimitives.Dot(gradient, gradient);
            TensorPrimitives.Multiply(gradient, 2.0, gradient);
        }
        else
        {
            double gNorm = Math.Max(TensorPrimitives.Norm(gradient), 1e-300);
            double tNorm = TensorPrimitives.Norm(target);
            double cos = TensorPrimitives.Dot(gradient, target) / (gNorm * tNorm);
            loss = 1 - cos;

            // ∂(1 − cos)/∂G = −T/(|G||T|) + cos·G/|G|².
            TensorPrimitives.Multiply(gradient, cos / (gNorm * gNorm), gradient);
            TensorPrimitives.MultiplyAdd(target, -1.0 / (gNorm * tNorm), gradient, gradient);
        }

        GuessGradient(x, gradient, featureGradient, labelLogitGradient);
        return loss;
    }

    private void ForwardAndBackward(ReadOnlySpan<double> x)
    {
        int layers = _widths.Length - 1;
        for (int r = 0; r < _batch; r++)
        {
            for (int l = 0; l < layers; l++)
            {
                int outW = _widths[l + 1];
                ReadOnlySpan<double> input = Input(x, l, r);
                Span<double> z = _z[l].AsSpan(r * outW, outW);
                MatVec(_w[l], input, z);
                TensorPrimitives.Add(z, _b[l], z);
                if (l < layers - 1)
                {
                    TensorPrimitives.Max(z, 0.0, _a[l].AsSpan(r * outW, outW));
                }
            }

            _p[r] = Sigmoid(_z[layers - 1][r]);
            _delta[layers - 1][r] = _p[r] - _y[r];
            for (int l = layers - 1; l > 0; l--)
            {
                int inW = _widths[l];
                Span<double> previous = _delta[l - 1].AsSpan(r * inW, inW);
                previous.Clear();
                TransposedMatVecAdd(_w[l], _delta[l].AsSpan(r * _widths[l + 1], _widths[l + 1]), previous);
                ApplyMask(_z[l - 1].AsSpan(r * inW, inW), previous);
            }
        }
    }

    /// <summary>G = (1/B)·Σᵣ δᵣ·aᵣᵀ (weights) and (1/B)·Σᵣ δᵣ (biases), in the model's layout.</summary>
    private void Accumulate(ReadOnlySpan<double> x, Span<double> gradient)
    {
        gradient.Clear();
        double scale = 1.0 / _batch;
        for (int l = 0; l < _widths.Length - 1; l++)
        {
            int inW = _widths[l];
            int outW = _widths[l + 1];
            Span<double> gw = gradient.Slice(_weightOffsets[l], inW * outW);
            Span<double> gb = gradient.Slice(_biasOffsets[l], outW);
            for (int r = 0; r < _batch; r++)
            {
                ReadOnlySpan<double> delta = _delta[l].AsSpan(r * outW, outW);
                ReadOnlySpan<double> input = Input(x, l, r);
                TensorPrimitives.MultiplyAdd(delta, scale, gb, gb);
                for (int j = 0; j < outW; j++)
                {
                    if (delta[j] != 0)
                    {
                        Span<double> row = gw.Slice(j * inW, inW);
                        TensorPrimitives.MultiplyAdd(input, delta[j] * scale, row, row);
                    }
                }
            }
        }
    }

    /// <summary>∂⟨V, G(X, y)⟩/∂X and ∂/∂t for the direction <paramref name="v"/> (see the class remarks).</summary>
    private void GuessGradient(ReadOnlySpan<double> x, ReadOnlySpan<double> v, Span<double> featureGradient, Span<double> labelLogitGradient)
    {
        int layers = _widths.Length - 1;
        double scale = 1.0 / _batch;
        for (int r = 0; r < _batch; r++)
        {
            // Tangent forward pass: ż_l = V_W,l·a_{l−1} + W_l·(mask ⊙ ż_{l−1}) + V_b,l.
            for (int l = 0; l < layers; l++)
            {
                int inW = _widths[l];
                int outW = _widths[l + 1];
                Span<double> tangent = _tangent[l].AsSpan(r * outW, outW);
                MatVec(v.Slice(_weightOffsets[l], inW * outW), Input(x, l, r), tangent);
                TensorPrimitives.Add(tangent, v.Slice(_biasOffsets[l], outW), tangent);
                if (l > 0)
                {
                    Span<double> masked = _aBar.AsSpan(0, inW);
                    _tangent[l - 1].AsSpan(r * inW, inW).CopyTo(masked);
                    ApplyMask(_z[l - 1].AsSpan(r * inW, inW), masked);
                    MatVecAdd(_w[l], masked, tangent);
                }
            }

            double outputTangent = _tangent[layers - 1][r];
            double p = _p[r];
            labelLogitGradient[r] = -outputTangent * _y[r] * (1 - _y[r]) * scale;

            // Backward through both streams; the tangent stream's adjoint is δ.
            Span<double> zBar = _zBar.AsSpan(0, 1);
            zBar[0] = p * (1 - p) * outputTangent;
            for (int l = layers - 1; l >= 0; l--)
            {
                int inW = _widths[l];
                int outW = _widths[l + 1];
                Span<double> aBar = _aBar.AsSpan(0, inW);
                aBar.Clear();
                TransposedMatVecAdd(_w[l], zBar, aBar);
                TransposedMatVecAdd(v.Slice(_weightOffsets[l], inW * outW), _delta[l].AsSpan(r * outW, outW), aBar);
                if (l == 0)
                {
                    TensorPrimitives.Multiply(aBar, scale, featureGradient.Slice(r * inW, inW));
                }
                else
                {
                    ApplyMask(_z[l - 1].AsSpan(r * inW, inW), aBar);
                    zBar = _zBar.AsSpan(0, inW);
                    aBar.CopyTo(zBar);
                }
            }
        }
    }

    private ReadOnlySpan<double> Input(ReadOnlySpan<double> x, int layer, int row)
    {
        int inW = _widths[layer];
        return layer == 0 ? x.Slice(row * inW, inW) : _a[layer - 1].AsSpan(row * inW, inW);
    }

    /// <summary>o = W·x for W [o.Length × x.Length] row-major.</summary>
    private static void MatVec(ReadOnlySpan<double> w, ReadOnlySpan<double> x, Span<double> o)
    {
        for (int j = 0; j < o.Length; j++)
        {
            o[j] = TensorPrimitives.Dot(w.Slice(j * x.Length, x.Length), x);
        }
    }

    /// <summary>o += W·x.</summary>
    private static void MatVecAdd(ReadOnlySpan<double> w, ReadOnlySpan<double> x, Span<double> o)
    {
        for (int j = 0; j < o.Length; j++)
        {
            o[j] += TensorPrimitives.Dot(w.Slice(j * x.Length, x.Length), x);
        }
    }

    /// <summary>o += Wᵀ·v for W [v.Length × o.Length] row-major.</summary>
    private static void TransposedMatVecAdd(ReadOnlySpan<double> w, ReadOnlySpan<double> v, Span<double> o)
    {
        for (int j = 0; j < v.Length; j++)
        {
            if (v[j] != 0)
            {
                TensorPrimitives.MultiplyAdd(w.Slice(j * o.Length, o.Length), v[j], o, o);
            }
        }
    }

    /// <summary>Zeroes the entries whose ReLU unit was inactive (z ≤ 0).</summary>
    private static void ApplyMask(ReadOnlySpan<double> z, Span<double> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            if (z[i] <= 0)
            {
                values[i] = 0;
            }
        }
    }

    private static double Sigmoid(double t) => t >= 0 ? 1 / (1 + Math.Exp(-t)) : Math.Exp(t) / (1 + Math.Exp(t));

    private static double[] ToDouble(ReadOnlySpan<float> values)
    {
        double[] result = new double[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }
}
