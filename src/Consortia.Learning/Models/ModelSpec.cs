using System.Collections.Immutable;

namespace Consortia.Learning.Models;

/// <summary>What model to build: its kind, input width, hidden layers and regularisation.</summary>
/// <param name="Kind">The model family.</param>
/// <param name="FeatureCount">The number of input features.</param>
/// <param name="HiddenLayers">Hidden layer widths (MLP only; empty otherwise).</param>
/// <param name="L2">L2 penalty <c>L2/2·‖w‖²</c> on weights (not biases) added to the mean loss; 0 for none.</param>
public sealed record ModelSpec(ModelKind Kind, int FeatureCount, ImmutableArray<int> HiddenLayers, float L2 = 0f)
{
    /// <summary>Checks the specification and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (FeatureCount <= 0)
        {
            throw new ArgumentException($"model.features: expected a positive number of features, got {FeatureCount}.");
        }

        if (Kind == ModelKind.Mlp && (HiddenLayers.IsDefaultOrEmpty || HiddenLayers.Any(h => h <= 0)))
        {
            throw new ArgumentException("model.hidden: an MLP needs at least one hidden layer, each with a positive width.");
        }

        if (Kind != ModelKind.Mlp && !HiddenLayers.IsDefaultOrEmpty)
        {
            throw new ArgumentException($"model.hidden: only an MLP has hidden layers, not a {Kind} model.");
        }

        if (!float.IsFinite(L2) || L2 < 0f)
        {
            throw new ArgumentException($"model.l2: expected a finite value ≥ 0, got {L2}.");
        }
    }

    /// <summary>Builds a model instance with scratch buffers for batches of up to <paramref name="maxBatchSize"/> rows.</summary>
    /// <param name="maxBatchSize">The largest batch the instance will see.</param>
    /// <returns>A new, independent model instance.</returns>
    public IModel CreateModel(int maxBatchSize)
    {
        Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBatchSize);
        return Kind switch
        {
            ModelKind.Logistic => new LogisticRegressionModel(this, maxBatchSize),
            ModelKind.Mlp => new MultilayerPerceptronModel(this, maxBatchSize),
            ModelKind.CoxPh => new CoxProportionalHazardsModel(this, maxBatchSize),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
    }

    /// <summary>The parameter layout of models built from this specification.</summary>
    /// <returns>The layout.</returns>
    public ParameterLayout CreateLayout() => Kind switch
    {
        ModelKind.Logistic => ParameterLayout.Create(("linear.weight", [1, FeatureCount]), ("linear.bias", [1])),
        ModelKind.CoxPh => ParameterLayout.Create(("linear.weight", [1, FeatureCount])),
        ModelKind.Mlp => MultilayerPerceptronModel.CreateLayout(FeatureCount, HiddenLayers),
        _ => throw new System.Diagnostics.UnreachableException(),
    };
}
