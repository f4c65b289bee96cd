using Consortia.SecureAggregation;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;

namespace Consortia.Federation.Sites.Pipeline;

/// <summary>
/// Secure aggregation: hands the quantised update to a fresh SecAgg+ client for the round's session instead of
/// sending it; from here on the update leaves the site only masked.
/// </summary>
internal sealed class MaskStage : IUpdateStage
{
    private readonly ISecureRandom _random;

    /// <summary>Creates the stage.</summary>
    /// <param name="random">The cryptographic generator for the masks and key agreement (the system's outside tests).</param>
    public MaskStage(ISecureRandom random) => _random = random;

    public UpdateStageKind Kind => UpdateStageKind.Mask;

    public void Apply(UpdateDraft draft)
    {
        if (draft.Task.SecureSession is not { } session)
        {
            return;
        }

        uint[] encoded = draft.Encoded ?? throw new InvalidOperationException("The mask stage needs the quantised update; the pipeline lacks a quantise stage.");
        SecAggClient client = new(session.Session, new ParticipantIndex(session.Participant), _random);
        client.ProvideInput(encoded);
        Array.Clear(encoded); // the session keeps its own copy; no plain encoding lingers
        draft.Encoded = null;
        draft.Masked = client;
    }
}
