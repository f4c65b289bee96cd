using System.Numerics.Tensors;

namespace Consortia.Federation.Sites.Pipeline;

/// <summary>Multiplies the update by its aggregation weight: the coordinator then needs only sums, which secure aggregation allows.</summary>
internal sealed class WeightStage : IUpdateStage
{
    public UpdateStageKind Kind => UpdateStageKind.Weight;

    public void Apply(UpdateDraft draft)
    {
        // FedNova: the update per local step (wᵢ·Δᵢ/τᵢ, the weight itself unchanged), so that a site given fewer steps (a
        // slow site) moves the model as much per step as the others; the coordinator rescales the sum by the mean τ.
        double scale = draft.Task.NormaliseWork && draft.Steps > 0 ? draft.Weight / draft.Steps : draft.Weight;
        if (scale == 1.0)
        {
            return; // client-level DP (or a one-example site): the update already is its own weighted form
        }

        TensorPrimitives.Multiply(draft.Delta.Values, (float)scale, draft.Delta.Values);
    }
}
