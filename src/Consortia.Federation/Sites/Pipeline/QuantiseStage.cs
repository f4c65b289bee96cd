using Consortia.Federation.SecureAggregation;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Quantization;

namespace Consortia.Federation.Sites.Pipeline;

/// <summary>
/// Secure aggregation: lays the update out as the session expects and encodes it as ring elements — fixed-point
/// values of the float update, or, under distributed DP, the noise stage's integers reduced mod 2^32 as they are.
/// </summary>
/// <remarks>
/// Stochastic rounding draws come from the site's randomness for the round: the cryptographic generator at a deployed
/// site, seeded in simulation so runs reproduce; the masks that protect the update come from the mask stage's generator.
/// Under client-level DP the update is first clipped to C − step·√d: rounding moves each of its d coordinates by less
/// than one step, so the quantised update that enters the sum has norm at most C, the sensitivity the noise covers
/// (the budget guard refuses a round whose step·√d leaves no room). The adaptive-clipping bit b − ½ = ±½ is shrunk the
/// same way, to within ±(½ − step), so that its rounded value stays within ±½, the bit query's sensitivity the noise on it
/// covers (<see cref="Guards.BudgetGuard.QuantisableBit"/>).
/// </remarks>
internal sealed class QuantiseStage : IUpdateStage
{
    private readonly SiteRandomness _randomness;

    /// <summary>Creates the stage.</summary>
    /// <param name="randomness">The site's randomness.</param>
    public QuantiseStage(SiteRandomness randomness) => _randomness = randomness;

    public UpdateStageKind Kind => UpdateStageKind.Quantise;

    public void Apply(UpdateDraft draft)
    {
        if (draft.Task.SecureSession is not { } session)
        {
            return;
        }

        if (draft.RingIntegers is { } integers)
        {
            // Distributed DP: already integers in the secure layout; two's complement is reduction mod 2^32.
            uint[] ring = new uint[integers.Length];
            for (int i = 0; i < integers.Length; i++)
            {
                ring[i] = unchecked((uint)integers[i]);
            }

            Array.Clear(integers);
            draft.RingIntegers = null;
            draft.Encoded = ring;
            return;
        }

        if (draft.Task.ClientDp is { } dp)
        {
            double margin = Guards.BudgetGuard.QuantisationMargin(session.Quantization, draft.Delta.Length);
            _ = Privacy.Mechanisms.L2Clipping.ClipInPlace(draft.Delta.Values, dp.ClipNorm - margin);
            if (draft.UnclippedBit is { } bit)
            {
                draft.UnclippedBit = Guards.BudgetGuard.QuantisableBit(bit, new FixedPointCodec(session.Quantization).Step);
            }
        }

        float[] vector = SecureUpdateLayout.Encode(draft.ToUpdate(draft.Task.Site), session.ControlVariates, session.UnclippedBit);
        FixedPointCodec codec = new(session.Quantization);
        uint[] encoded = new uint[vector.Length];
        ISecureRandom rounding = _randomness.Rounding(draft.Task.Round);
        try
        {
            codec.Quantize(vector, encoded, rounding);
        }
        finally
        {
            (rounding as IDisposable)?.Dispose();
        }

        Array.Clear(vector);
        draft.Encoded = encoded;
    }
}
