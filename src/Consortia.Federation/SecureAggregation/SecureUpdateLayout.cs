using System.Numerics.Tensors;
using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;
using Consortia.Learning;

namespace Consortia.Federation.SecureAggregation;

/// <summary>
/// How a site's update is laid out as one vector for secure summation: the weighted delta, then the weight,
/// then the weighted training loss, then (SCAFFOLD) the control-variate delta, then (client-level DP with adaptive
/// clipping) the site's b − ½. Summing these vectors gives exactly what a sum-decomposable strategy needs, and
/// nothing else reaches the coordinator.
/// </summary>
internal static class SecureUpdateLayout
{
    public static int Length(int parameters, bool controlVariates, bool unclippedBit = false) =>
        parameters + 2 + (controlVariates ? parameters : 0) + (unclippedBit ? 1 : 0);

    public static float[] Encode(SiteUpdate update, bool controlVariates, bool unclippedBit = false)
    {
        int p = update.WeightedDelta.Length;
        float[] vector = new float[Length(p, controlVariates, unclippedBit)];
        update.WeightedDelta.Values.CopyTo(vector);
        vector[p] = (float)update.Weight;
        vector[p + 1] = double.IsFinite(update.TrainLoss) ? (float)(update.TrainLoss * update.Weight) : 0f;
        if (controlVariates && update.ControlVariateDelta is { } dc)
        {
            dc.Values.CopyTo(vector.AsSpan(p + 2));
        }

        if (unclippedBit)
        {
            vector[^1] = (float)(update.UnclippedBit ?? throw new InvalidOperationException("The session expects the adaptive-clipping bit, which the update lacks."));
        }

        return vector;
    }

    public static (SummedUpdates Sum, double WeightedLoss) Decode(ReadOnlySpan<float> sum, ParameterLayout layout, int contributors, bool controlVariates, bool unclippedBit = false)
    {
        int p = layout.Length;
        ParameterVector weighted = new(layout, sum[..p]);
        ParameterVector? control = controlVariates ? new ParameterVector(layout, sum.Slice(p + 2, p)) : null;
        return (new SummedUpdates(weighted, sum[p], contributors, control) { UnclippedBitSum = unclippedBit ? sum[^1] : null }, sum[p + 1]);
    }

    public static bool IsWithin(ReadOnlySpan<float> vector, double clipRange) =>
        TensorPrimitives.MaxMagnitude(vector) <= clipRange;
}
