using Consortia.Federation.SecureAggregation;
using Consortia.Learning;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Quantization;

namespace Consortia.Federation.Sites.Pipeline;

/// <summary>Secure aggregation: lays the update out as the session expects and encodes it as fixed-point ring elements.</summary>
/// <remarks>
/// Stochastic rounding draws come from the site's random source (derived from the job seed and the round), so
/// simulations stay reproducible; the masks that protect the update come from the mask stage's cryptographic generator.
/// Under client-level DP the update is first clipped to C − step·√d: rounding moves each of its d coordinates by less
/// than one step, so the quantised update that enters the sum has norm at most C, the sensitivity the noise covers
/// (the budget guard refuses a round whose step·√d leaves no room).
/// </remarks>
internal sealed class QuantiseStage : IUpdateStage
{
    private readonly RandomSource _random;

    /// <summary>Creates the stage.</summary>
    /// <param name="random">The site's random source.</param>
    public QuantiseStage(RandomSource random) => _random = random;

    public UpdateStageKind Kind => UpdateStageKind.Quantise;

    public void Apply(UpdateDraft draft)
    {
        if (draft.Task.SecureSession is not { } session)
        {
            return;
        }

        if (draft.Task.ClientDp is { } dp)
        {
            double margin = Guards.BudgetGuard.QuantisationMargin(session.Quantization, draft.Delta.Length);
            _ = Privacy.Mechanisms.L2Clipping.ClipInPlace(draft.Delta.Values, dp.ClipNorm - margin);
        }

        float[] vector = SecureUpdateLayout.Encode(draft.ToUpdate(draft.Task.Site), session.ControlVariates, session.UnclippedBit);
        FixedPointCodec codec = new(session.Quantization);
        uint[] encoded = new uint[vector.Length];
        using (DeterministicSecureRandom rounding = new(_random.Derive("quantise").Derive((ulong)draft.Task.Round.Value).NextUInt64()))
        {
            codec.Quantize(vector, encoded, rounding);
        }

        Array.Clear(vector);
        draft.Encoded = encoded;
    }
}
