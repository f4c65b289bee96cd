namespace Consortia.Learning.Models;

/// <summary>The model families Consortia trains.</summary>
public enum ModelKind
{
    /// <summary>Logistic regression: one linear unit and a sigmoid, binary cross-entropy loss.</summary>
    Logistic,

    /// <summary>Multilayer perceptron: ReLU hidden layers, one sigmoid output, binary cross-entropy loss.</summary>
    Mlp,

    /// <summary>Linear Cox proportional-hazards model: negative partial log-likelihood with Breslow ties.</summary>
    CoxPh,
}
