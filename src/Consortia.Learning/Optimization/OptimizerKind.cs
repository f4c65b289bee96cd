namespace Consortia.Learning.Optimization;

/// <summary>The local optimizers.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent with optional (PyTorch-style) momentum.</summary>
    Sgd,

    /// <summary>Adam (Kingma and Ba, 2015) with PyTorch's bias correction.</summary>
    Adam,
}
