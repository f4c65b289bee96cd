using System.Numerics.Tensors;

namespace Consortia.Federation.Sites.Pipeline;

/// <summary>Multiplies the update by its aggregation weight: the coordinator then needs only sums, which secure aggregation allows.</summary>
internal sealed class WeightStage : IUpdateStage
{
    public UpdateStageKind Kind => UpdateStageKind.Weight;

    public void Apply(UpdateDraft draft)
    {
        if (draft.Weight == 1.0)
        {
            return; // client-level DP (or a one-example site): the update already is its own weighted form
        }

        TensorPrimitives.Multiply(draft.Delta.Values, (float)draft.Weight, draft.Delta.Values);
    }
}
