using Consortia.Federation.SecureAggregation;
using Consortia.Governance.Roster;
using Consortia.SecureAggregation;
using Consortia.SecureAggregation.Crypto;
using Consortia.SecureAggregation.Protocol;
using Consortia.SecureAggregation.Signing;

namespace Consortia.Federation.Sites.Pipeline;

/// <summary>
/// Secure aggregation: hands the quantised update to a fresh SecAgg+ client for the round's session instead of
/// sending it; from here on the update leaves the site only masked.
/// </summary>
/// <remarks>
/// The client signs this site's advertisements and consistency signatures with the site's long-term key and checks
/// every other participant against the roster this site accepted, never against a certificate the coordinator
/// issued: a coordinator that runs puppet sites cannot sign for them, so the site aborts before releasing any share.
/// <see cref="SecureSessionGuard"/> has already checked the session (mode, roster, threshold) before training.
/// </remarks>
internal sealed class MaskStage : IUpdateStage
{
    private readonly ISecureRandom _random;
    private readonly ISigner? _signer;
    private readonly ConsortiumRoster? _roster;

    /// <summary>Creates the stage.</summary>
    /// <param name="random">The cryptographic generator for the masks and key agreement (the system's outside tests).</param>
    /// <param name="signer">The site's signing key, or <see langword="null"/> (then secure sessions are refused by the guard).</param>
    /// <param name="roster">The roster the site accepted, or <see langword="null"/>.</param>
    public MaskStage(ISecureRandom random, ISigner? signer, ConsortiumRoster? roster)
    {
        _random = random;
        _signer = signer;
        _roster = roster;
    }

    public UpdateStageKind Kind => UpdateStageKind.Mask;

    public void Apply(UpdateDraft draft)
    {
        if (draft.Task.SecureSession is not { } session)
        {
            return;
        }

        uint[] encoded = draft.Encoded ?? throw new InvalidOperationException("The mask stage needs the quantised update; the pipeline lacks a quantise stage.");
        if (_signer is null || _roster is null)
        {
            throw new InvalidOperationException("Secure aggregation needs the site's signing key and accepted roster; the guard should have refused the task.");
        }

        SecAggClient client = new(session.Session, new ParticipantIndex(session.Participant), _random, _signer, new RosterSignatureVerifier(_roster, session.Session.Participants));
        client.ProvideInput(encoded);
        Array.Clear(encoded); // the session keeps its own copy; no plain encoding lingers
        draft.Encoded = null;
        draft.Masked = client;
    }
}
