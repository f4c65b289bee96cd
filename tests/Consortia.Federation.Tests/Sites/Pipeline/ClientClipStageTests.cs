using Consortia.Federation.Sites;
using Consortia.Federation.Sites.Pipeline;
using Consortia.Privacy.Mechanisms;

namespace Consortia.Federation.Tests.Sites.Pipeline;

public sealed class ClientClipStageTests
{
    private static ClientDpRound Round(double clip, bool bit = true) => new("job", clip, bit, NoiseMultiplier: 1.0, SampleRate: 1.0, Delta: 1e-5);

    [Fact]
    public void Apply_UpdateAboveTheBound_ClipsItCountsTheSiteOnceAndKeepsTheLossLocal()
    {
        UpdateDraft draft = Drafts.Of(Drafts.Task(Round(clip: 1.0)), [3, 4, 0], weight: 50, loss: 0.7);

        new ClientClipStage().Apply(draft);

        Assert.InRange(L2Clipping.Norm(draft.Delta.Values), 0.999, 1.0 + 1e-6);
        Assert.Equal(3.0 / 4.0, draft.Delta.Values[0] / draft.Delta.Values[1], 5); // direction kept
        Assert.Equal(1.0, draft.Weight);
        Assert.True(double.IsNaN(draft.TrainLoss));
        Assert.Equal(-0.5, draft.UnclippedBit); // clipped: b = 0
    }

    [Fact]
    public void Apply_UpdateWithinTheBound_LeavesItAndReportsUnclipped()
    {
        UpdateDraft draft = Drafts.Of(Drafts.Task(Round(clip: 10.0)), [3, 4, 0]);

        new ClientClipStage().Apply(draft);

        Assert.Equal([3f, 4f, 0f], draft.Delta.Values.ToArray());
        Assert.Equal(0.5, draft.UnclippedBit);
    }

    [Fact]
    public void Apply_WithoutClientLevelDp_LeavesTheDraftUnchanged()
    {
        UpdateDraft draft = Drafts.Of(Drafts.Task(), [3, 4, 0], weight: 50, loss: 0.7);

        new ClientClipStage().Apply(draft);

        Assert.Equal([3f, 4f, 0f], draft.Delta.Values.ToArray());
        Assert.Equal(50, draft.Weight);
        Assert.Equal(0.7, draft.TrainLoss);
        Assert.Null(draft.UnclippedBit);
    }
}
