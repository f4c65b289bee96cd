using System.Numerics.Tensors;

namespace Consortia.Learning.Optimization;

/// <summary>Adam with bias correction, as PyTorch implements it.</summary>
/// <remarks>Kingma, D. P. and Ba, J. (2015), "Adam: A Method for Stochastic Optimization", ICLR.</remarks>
internal sealed class AdamOptimizer : IOptimizer
{
    private readonly OptimizerOptions _options;
    private readonly float[] _m;
    private readonly float[] _v;
    private readonly float[] _scratch;
    private int _step;

    public AdamOptimizer(OptimizerOptions options, int length)
    {
        _options = options;
        _m = new float[length];
        _v = new float[length];
        _scratch = new float[length];
    }

    public void ApplyGradient(Span<float> parameters, ReadOnlySpan<float> gradient)
    {
        _step++;
        float b1 = _options.Beta1, b2 = _options.Beta2;
        Span<float> tmp = _scratch;

        // m ← β1 m + (1 − β1) g
        TensorPrimitives.Multiply(gradient, 1f - b1, tmp);
        TensorPrimitives.MultiplyAdd(_m, b1, tmp, _m);

        // v ← β2 v + (1 − β2) g²
        TensorPrimitives.Multiply(gradient, gradient, tmp);
        TensorPrimitives.Multiply(tmp, 1f - b2, tmp);
        TensorPrimitives.MultiplyAdd(_v, b2, tmp, _v);

        double correction1 = 1.0 - Math.Pow(b1, _step);
        double correction2 = 1.0 - Math.Pow(b2, _step);
        float stepSize = (float)(_options.LearningRate / correction1);

        // p ← p − stepSize · m / (√v / √correction2 + ε)
        TensorPrimitives.Sqrt(_v, tmp);
        TensorPrimitives.Multiply(tmp, (float)(1.0 / Math.Sqrt(correction2)), tmp);
        TensorPrimitives.Add(tmp, _options.Epsilon, tmp);
        TensorPrimitives.Divide(_m, tmp, tmp);
        TensorPrimitives.MultiplyAdd(tmp, -stepSize, parameters, parameters);
    }
}
