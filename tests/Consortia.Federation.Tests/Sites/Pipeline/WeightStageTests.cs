using Consortia.Federation.Sites.Pipeline;

namespace Consortia.Federation.Tests.Sites.Pipeline;

public sealed class WeightStageTests
{
    [Fact]
    public void Apply_MultipliesTheUpdateByItsWeight()
    {
        UpdateDraft draft = Drafts.Of(Drafts.Task(), [1, -2, 0.5f], weight: 4);

        new WeightStage().Apply(draft);

        Assert.Equal([4f, -8f, 2f], draft.Delta.Values.ToArray());
        Assert.Equal(4, draft.Weight);
    }

    [Fact]
    public void Apply_WeightOne_LeavesTheValuesBitForBit()
    {
        float[] values = [0.1f, -0f, float.Epsilon];
        UpdateDraft draft = Drafts.Of(Drafts.Task(), [.. values], weight: 1);

        new WeightStage().Apply(draft);

        Assert.Equal(values.Select(BitConverter.SingleToInt32Bits), draft.Delta.Values.ToArray().Select(BitConverter.SingleToInt32Bits));
    }
}
