using Consortia.Federation.Sites.Pipeline;
using Consortia.SecureAggregation.Crypto;

namespace Consortia.Federation.Tests.Sites.Pipeline;

public sealed class MaskStageTests
{
    [Fact]
    public void Apply_QuantisedUpdate_HandsItToTheSessionAndWipesThePlainEncoding()
    {
        UpdateDraft draft = Drafts.Of(Drafts.Task(session: Drafts.Session()), [1, 2, 3]);
        uint[] encoded = [11, 22, 33, 44, 55];
        draft.Encoded = encoded;
        using DeterministicSecureRandom random = new(3);

        new MaskStage(random).Apply(draft);

        using Consortia.SecureAggregation.Protocol.SecAggClient client = Assert.IsType<Consortia.SecureAggregation.Protocol.SecAggClient>(draft.Masked);
        Assert.Null(draft.Encoded);
        Assert.All(encoded, v => Assert.Equal(0u, v));
    }

    [Fact]
    public void Apply_SecureSessionWithoutQuantisedUpdate_Throws()
    {
        UpdateDraft draft = Drafts.Of(Drafts.Task(session: Drafts.Session()), [1, 2, 3]);
        using DeterministicSecureRandom random = new(3);

        Assert.Throws<InvalidOperationException>(() => new MaskStage(random).Apply(draft));
    }

    [Fact]
    public void Apply_WithoutASecureSession_LeavesThePlainUpdate()
    {
        UpdateDraft draft = Drafts.Of(Drafts.Task(), [1, 2, 3]);
        using DeterministicSecureRandom random = new(3);

        new MaskStage(random).Apply(draft);

        Assert.Null(draft.Masked);
    }
}
