using Consortia.Federation.SecureAggregation;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Quantization;

namespace Consortia.Federation.Sites.Pipeline;

/// <summary>Secure aggregation: lays the update out as the session expects and encodes it as fixed-point ring elements.</summary>
/// <remarks>
/// Stochastic rounding draws come from the site's randomness for the round: the cryptographic generator at a deployed
/// site, seeded in simulation so runs reproduce; the masks that protect the update come from the mask stage's generator.
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
