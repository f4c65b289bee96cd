using Consortia.Federation.SecureAggregation;
using Consortia.Learning;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Quantization;

namespace Consortia.Federation.Sites.Pipeline;

/// <summary>
/// Secure aggregation: lays the update out as the session expects and encodes it as ring elements — fixed-point
/// values of the float update, or, under distributed DP, the noise stage's integers reduced mod 2^32 as they are.
/// </summary>
/// <remarks>
/// Stochastic rounding draws come from the site's random source (derived from the job seed and the round), so
/// simulations stay reproducible; the masks that protect the update come from the mask stage's cryptographic generator.
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

        uint[] encoded;
        if (draft.RingIntegers is { } integers)
        {
            // Distributed DP: already integers in the secure layout; two's complement is reduction mod 2^32.
            encoded = new uint[integers.Length];
            for (int i = 0; i < integers.Length; i++)
            {
                encoded[i] = unchecked((uint)integers[i]);
            }

            Array.Clear(integers);
            draft.RingIntegers = null;
            draft.Encoded = encoded;
            return;
        }

        float[] vector = SecureUpdateLayout.Encode(draft.ToUpdate(draft.Task.Site), session.ControlVariates, session.UnclippedBit);
        FixedPointCodec codec = new(session.Quantization);
        encoded = new uint[vector.Length];
        using (DeterministicSecureRandom rounding = new(_random.Derive("quantise").Derive((ulong)draft.Task.Round.Value).NextUInt64()))
        {
            codec.Quantize(vector, encoded, rounding);
        }

        Array.Clear(vector);
        draft.Encoded = encoded;
    }
}
