using Consortia.Learning;

namespace Consortia.Federation.Strategies;

/// <summary>The example-weighted mean update, computed from sums only (what secure aggregation yields).</summary>
public static class ModelAveraging
{
    /// <summary>Σ wᵢΔᵢ / Σ wᵢ, or <see langword="null"/> when nobody contributed.</summary>
    /// <param name="layout">The parameter layout.</param>
    /// <param name="updates">The round's updates.</param>
    /// <returns>The mean delta, or <see langword="null"/>.</returns>
    public static float[]? MeanDelta(ParameterLayout layout, UpdateAggregate updates)
    {
        ArgumentNullException.ThrowIfNull(layout);
        SummedUpdates sum = updates switch
        {
            SummedUpdates s => s,
            IndividualUpdates individual => SiteSampling.Sum(layout, individual.Updates),
            _ => throw new System.Diagnostics.UnreachableException(),
        };
        if (sum.Contributors == 0 || !(sum.TotalWeight > 0))
        {
            return null;
        }

        float[] mean = new float[layout.Length];
        System.Numerics.Tensors.TensorPrimitives.Multiply(sum.WeightedSum.Values, (float)(1.0 / sum.TotalWeight), mean);
        return mean;
    }
}
