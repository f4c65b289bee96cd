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

    [Theory]
    [InlineData(0.01)]
    [InlineData(0.3)]
    public void Apply_ClientLevel_TheQuantisedUpdateStaysWithinTheClip(double clip)
    {
        // A coarse encoding (step ≈ 7.5·10⁻⁵·10 with clip_range 10⁴ over 3 summands) so rounding matters next to C.
        SecureTrainingSession session = Drafts.Session() with { Quantization = new FixedPointOptions { ClipRange = 1e4, MaxSummands = 3 } };
        FixedPointCodec codec = new(session.Quantization);
        double margin = codec.Step * Math.Sqrt(Drafts.Layout.Length);
        Assert.InRange(margin, 0, clip / 2);
        for (ulong seed = 0; seed < 200; seed++)
        {
            ClientDpRound dp = new("job", clip, false, 1.0, 1.0, 1e-5);
            float f = (float)(clip / Math.Sqrt(3));
            UpdateDraft draft = Drafts.Of(Drafts.Task(dp, session), [f, -f, f], weight: 1, loss: double.NaN); // norm exactly C, as clipped

            new QuantiseStage(SiteRandomness.Seeded(new RandomSource(seed))).Apply(draft);

            double[] decoded = new double[draft.Encoded!.Length];
            codec.DecodeSum(draft.Encoded, decoded);
            double norm = Math.Sqrt((decoded[0] * decoded[0]) + (decoded[1] * decoded[1]) + (decoded[2] * decoded[2]));
            Assert.True(norm <= clip, $"seed {seed}: the quantised update has norm {norm} > C = {clip}");
        }
    }

    /// <summary>
    /// The adaptive-clipping bit ±½ is sent within its sensitivity ½ whatever the rounding draws: with clip_range 1 over 3
    /// summands ½·s = 134217727.5, so an unshrunk bit would round up to ½ + step on about half of the seeds.
    /// </summary>
    [Fact]
    public void Apply_ClientLevelBit_StaysWithinOneHalfAfterRounding()
    {
        SecureTrainingSession session = Drafts.Session() with { Quantization = new FixedPointOptions { ClipRange = 1, MaxSummands = 3 }, UnclippedBit = true };
        FixedPointCodec codec = new(session.Quantization);
        Assert.NotEqual(Math.Floor(0.5 * codec.Scale), 0.5 * codec.Scale); // the case that needs the shrink
        double largest = 0;
        for (ulong seed = 0; seed < 200; seed++)
        {
            foreach (double bit in new[] { 0.5, -0.5 })
            {
                ClientDpRound dp = new("job", 1.0, true, 1.0, 1.0, 1e-5);
                UpdateDraft draft = Drafts.Of(Drafts.Task(dp, session), [0.1f, 0, 0], weight: 1, loss: double.NaN);
                draft.UnclippedBit = bit;

                new QuantiseStage(SiteRandomness.Seeded(new RandomSource(seed))).Apply(draft);

                double[] decoded = new double[draft.Encoded!.Length];
                codec.DecodeSum(draft.Encoded, decoded);
                Assert.True(Math.Abs(decoded[^1]) <= 0.5, $"seed {seed}: the rounded bit is {decoded[^1]:R}, beyond ±½");
                largest = Math.Max(largest, Math.Abs(decoded[^1]));
            }
        }

        Assert.True(largest > 0.5 - 1e-7, $"the bit keeps its value up to the shrink (largest {largest:R})");
    }
}
