using Consortia.Federation.Sites.Pipeline;

namespace Consortia.Federation.Tests.Sites.Pipeline;

public sealed class UpdatePipelineTests
{
    private sealed class Recording(UpdateStageKind kind, List<UpdateStageKind> log) : IUpdateStage
    {
        public UpdateStageKind Kind => kind;

        public void Apply(UpdateDraft draft) => log.Add(kind);
    }

    [Fact]
    public void Apply_StagesGivenInAnyOrder_RunsThemInStageOrder()
    {
        List<UpdateStageKind> log = [];
        UpdatePipeline pipeline = new([new Recording(UpdateStageKind.Mask, log), new Recording(UpdateStageKind.Clip, log), new Recording(UpdateStageKind.Quantise, log), new Recording(UpdateStageKind.Weight, log)]);

        pipeline.Apply(Drafts.Of(Drafts.Task(), [1, 2, 3]));

        UpdateStageKind[] expected = [UpdateStageKind.Clip, UpdateStageKind.Weight, UpdateStageKind.Quantise, UpdateStageKind.Mask];
        Assert.Equal(expected, log);
        Assert.Equal(expected, pipeline.Kinds);
    }

    [Fact]
    public void Constructor_TwoStagesOfOneKind_ThrowsNamingTheKind()
    {
        ArgumentException error = Assert.Throws<ArgumentException>(() => new UpdatePipeline([new WeightStage(), new ClientClipStage(), new WeightStage()]));

        Assert.Contains("two Weight stages", error.Message, StringComparison.Ordinal);
    }
}
