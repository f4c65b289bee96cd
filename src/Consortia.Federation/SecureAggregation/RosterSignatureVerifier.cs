using System.Security.Cryptography;
using Consortia.Governance.Audit;
using Consortia.Governance.Roster;
using Consortia.SecureAggregation;
using Consortia.SecureAggregation.Signing;

namespace Consortia.Federation.SecureAggregation;

/// <summary>
/// Checks a session participant's signature against the key the consortium roster lists for that participant's
/// site, never against a certificate the coordinator could have issued.
/// </summary>
/// <remarks>
/// Participant i (1-based) is the i-th site of the session's participant list. A participant whose site is not in
/// the roster has no key here, so its signatures never verify: a coordinator that injects puppet sites (or names a
/// real site but signs with its own key) is refused before any share is released. Immutable and thread-safe.
/// </remarks>
internal sealed class RosterSignatureVerifier : ISignatureVerifier
{
    private readonly LedgerPublicKey?[] _keys;

    /// <summary>Creates the verifier of one session.</summary>
    /// <param name="roster">The roster this node accepted (a coordinator verifies against the one it distributes).</param>
    /// <param name="participants">The session's participants, in order.</param>
    public RosterSignatureVerifier(ConsortiumRoster roster, IReadOnlyList<string> participants)
    {
        _keys = new LedgerPublicKey?[participants.Count + 1];
        for (int i = 0; i < participants.Count; i++)
        {
            _keys[i + 1] = roster.Find(participants[i])?.PublicKey;
        }
    }

    public bool Verify(ParticipantIndex signer, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> signature) =>
        signer.Value >= 1 && signer.Value < _keys.Length && _keys[signer.Value] is { } key && signature.Length == EcdsaP256Signer.SignatureLength
        && key.VerifyHash(SHA256.HashData(payload), signature);
}
