using System.Numerics.Tensors;

namespace Consortia.Learning.Optimization;

/// <summary>SGD with PyTorch-style momentum: v ← μv + g, p ← p − lr·v.</summary>
internal sealed class SgdOptimizer : IOptimizer
{
    private readonly float _learningRate;
    private readonly float _momentum;
    private readonly float[] _velocity;
    private bool _first = true;

    public SgdOptimizer(OptimizerOptions options, int length)
    {
        _learningRate = options.LearningRate;
        _momentum = options.Momentum;
        _velocity = options.Momentum > 0f ? new float[length] : [];
    }

    public void ApplyGradient(Span<float> parameters, ReadOnlySpan<float> gradient)
    {
        if (_momentum == 0f)
        {
            TensorPrimitives.MultiplyAdd(gradient, -_learningRate, parameters, parameters);
            return;
        }

        if (_first)
        {
            // PyTorch initialises the buffer with the first gradient.
            gradient.CopyTo(_velocity);
            _first = false;
        }
        else
        {
            TensorPrimitives.MultiplyAdd(_velocity, _momentum, gradient, _velocity);
        }

        TensorPrimitives.MultiplyAdd(_velocity, -_learningRate, parameters, parameters);
    }
}
