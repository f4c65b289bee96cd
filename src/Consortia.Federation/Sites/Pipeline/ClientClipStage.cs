using Consortia.Privacy.ClientLevel;

namespace Consortia.Federation.Sites.Pipeline;

/// <summary>
/// Client-level DP-FedAvg: clips the whole, unweighted update to the round's bound C before any weighting or
/// quantisation; the site then counts once (weight 1) and its training loss stays local.
/// </summary>
/// <remarks>McMahan et al. 2018, "Learning Differentially Private Recurrent Language Models"; adaptive bit after Andrew et al. 2021.</remarks>
internal sealed class ClientClipStage : IUpdateStage
{
    public UpdateStageKind Kind => UpdateStageKind.Clip;

    public void Apply(UpdateDraft draft)
    {
        if (draft.Task.ClientDp is not { } dp)
        {
            return;
        }

        double norm = ClientLevelMechanism.ClipUpdate(draft.Delta.Values, dp.ClipNorm);
        draft.UnclippedBit = dp.ReportUnclippedBit ? ClientLevelMechanism.CentredUnclippedBit(norm, dp.ClipNorm) : null;
        draft.Weight = 1.0;
        draft.TrainLoss = double.NaN; // not part of the private release
    }
}
