namespace Consortia.Learning.Optimization;

/// <summary>Options of a local optimizer, validated when the job is loaded.</summary>
public sealed record OptimizerOptions
{
    /// <summary>The optimizer family.</summary>
    /// <value>Default: <see cref="OptimizerKind.Sgd"/>.</value>
    public OptimizerKind Kind { get; init; } = OptimizerKind.Sgd;

    /// <summary>The learning rate.</summary>
    /// <value>Default: 0.01.</value>
    public float LearningRate { get; init; } = 0.01f;

    /// <summary>SGD momentum μ in v ← μv + g (PyTorch convention).</summary>
    /// <value>Default: 0 (plain SGD).</value>
    public float Momentum { get; init; }

    /// <summary>Adam's first-moment decay β1.</summary>
    /// <value>Default: 0.9.</value>
    public float Beta1 { get; init; } = 0.9f;

    /// <summary>Adam's second-moment decay β2.</summary>
    /// <value>Default: 0.999.</value>
    public float Beta2 { get; init; } = 0.999f;

    /// <summary>Adam's ε added to the denominator.</summary>
    /// <value>Default: 1e-8.</value>
    public float Epsilon { get; init; } = 1e-8f;

    /// <summary>Checks the options and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (!float.IsFinite(LearningRate) || LearningRate <= 0f)
        {
            throw new ArgumentException($"optimizer.learning_rate: expected a finite value > 0, got {LearningRate}.");
        }

        if (!float.IsFinite(Momentum) || Momentum < 0f || Momentum >= 1f)
        {
            throw new ArgumentException($"optimizer.momentum: expected a value in [0, 1), got {Momentum}.");
        }

        if (!(Beta1 >= 0f && Beta1 < 1f) || !(Beta2 >= 0f && Beta2 < 1f))
        {
            throw new ArgumentException($"optimizer.beta1/beta2: expected values in [0, 1), got {Beta1} and {Beta2}.");
        }

        if (!float.IsFinite(Epsilon) || Epsilon <= 0f)
        {
            throw new ArgumentException($"optimizer.epsilon: expected a finite value > 0, got {Epsilon}.");
        }
    }

    /// <summary>Creates a fresh optimizer (zero state) for a vector of <paramref name="length"/> parameters.</summary>
    /// <param name="length">The number of parameters.</param>
    /// <returns>The optimizer.</returns>
    public IOptimizer Create(int length)
    {
        Validate();
        return Kind switch
        {
            OptimizerKind.Sgd => new SgdOptimizer(this, length),
            OptimizerKind.Adam => new AdamOptimizer(this, length),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
    }
}
