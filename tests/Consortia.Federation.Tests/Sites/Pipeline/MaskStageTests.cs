using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites.Pipeline;
using Consortia.SecureAggregation.Crypto;

namespace Consortia.Federation.Tests.Sites.Pipeline;

public sealed class MaskStageTests : IDisposable
{
    private readonly SimulatedConsortium _consortium = SimulatedConsortium.Create("c", ["a", "b", "c"]);

    public void Dispose() => _consortium.Dispose();

    private MaskStage Stage(ISecureRandom random) => new(random, new SiteSigner(_consortium.KeyOf("a")), _consortium.Roster);

    [Fact]
    public void Apply_QuantisedUpdate_HandsItToTheSessionAndWipesThePlainEncoding()
    {
        UpdateDraft draft = Drafts.Of(Drafts.Task(session: Drafts.Session()), [1, 2, 3]);
        uint[] encoded = [11, 22, 33, 44, 55];
        draft.Encoded = encoded;
        using DeterministicSecureRandom random = new(3);

        Stage(random).Apply(draft);

        using Consortia.SecureAggregation.Protocol.SecAggClient client = Assert.IsType<Consortia.SecureAggregation.Protocol.SecAggClient>(draft.Masked);
        Assert.Null(draft.Encoded);
        Assert.All(encoded, v => Assert.Equal(0u, v));
    }

    [Fact]
    public void Apply_SecureSessionWithoutQuantisedUpdate_Throws()
    {
        UpdateDraft draft = Drafts.Of(Drafts.Task(session: Drafts.Session()), [1, 2, 3]);
        using DeterministicSecureRandom random = new(3);

        Assert.Throws<InvalidOperationException>(() => Stage(random).Apply(draft));
    }

    [Fact]
    public void Apply_SecureSessionWithoutRosterOrKey_ThrowsRatherThanTrustingThePeers()
    {
        UpdateDraft draft = Drafts.Of(Drafts.Task(session: Drafts.Session()), [1, 2, 3]);
        draft.Encoded = [11, 22, 33, 44, 55];
        using DeterministicSecureRandom random = new(3);

        Assert.Throws<InvalidOperationException>(() => new MaskStage(random, null, _consortium.Roster).Apply(draft));
        Assert.Throws<InvalidOperationException>(() => new MaskStage(random, new SiteSigner(_consortium.KeyOf("a")), null).Apply(draft));
    }

    [Fact]
    public void Apply_WithoutASecureSession_LeavesThePlainUpdate()
    {
        UpdateDraft draft = Drafts.Of(Drafts.Task(), [1, 2, 3]);
        using DeterministicSecureRandom random = new(3);

        Stage(random).Apply(draft);

        Assert.Null(draft.Masked);
    }
}
