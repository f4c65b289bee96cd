using Consortia.Federation.SecureAggregation;
using Consortia.Federation.Sites;
using Consortia.Federation.Sites.Pipeline;
using Consortia.Learning;
using Consortia.SecureAggregation.Quantization;

namespace Consortia.Federation.Tests.Sites.Pipeline;

public sealed class QuantiseStageTests
{
    [Fact]
    public void Apply_WithASecureSession_EncodesTheSessionLayoutWithinOneStep()
    {
        SecureTrainingSession session = Drafts.Session();
        UpdateDraft draft = Drafts.Of(Drafts.Task(session: session), [1.5f, -2.25f, 3], weight: 10, loss: 0.5);

        new QuantiseStage(SiteRandomness.Seeded(new RandomSource(1))).Apply(draft);

        uint[] encoded = Assert.IsType<uint[]>(draft.Encoded);
        FixedPointCodec codec = new(session.Quantization);
        double[] decoded = new double[encoded.Length];
        codec.DecodeSum(encoded, decoded);
        double[] expected = [1.5, -2.25, 3, 10, 5]; // the update, its weight, loss × weight (SecureUpdateLayout)
        Assert.Equal(expected.Length, decoded.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.InRange(decoded[i], expected[i] - codec.Step, expected[i] + codec.Step);
        }
    }

    [Fact]
    public void Apply_SameSeedAndRound_SameEncoding()
    {
        UpdateDraft a = Drafts.Of(Drafts.Task(session: Drafts.Session()), [0.123f, 0.456f, 0.789f]);
        UpdateDraft b = Drafts.Of(Drafts.Task(session: Drafts.Session()), [0.123f, 0.456f, 0.789f]);

        new QuantiseStage(SiteRandomness.Seeded(new RandomSource(7))).Apply(a);
        new QuantiseStage(SiteRandomness.Seeded(new RandomSource(7))).Apply(b);

        Assert.Equal(a.Encoded, b.Encoded);
    }

    [Fact]
    public void Apply_WithoutASecureSession_EncodesNothing()
    {
        UpdateDraft draft = Drafts.Of(Drafts.Task(), [1, 2, 3]);

        new QuantiseStage(SiteRandomness.Seeded(new RandomSource(1))).Apply(draft);

        Assert.Null(draft.Encoded);
    }
}
