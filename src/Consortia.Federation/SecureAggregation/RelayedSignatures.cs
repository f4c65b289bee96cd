using Consortia.SecureAggregation;
using Consortia.SecureAggregation.Signing;

namespace Consortia.Federation.SecureAggregation;

/// <summary>
/// The coordinator's signature check when it holds no roster: it passes on any signature of the right length and
/// leaves verification to the sites, which check every signature against the roster they accepted and abort the
/// session, naming the signer, on one that fails.
/// </summary>
/// <remarks>Never used at a site: a site always verifies against its own accepted roster (<see cref="RosterSignatureVerifier"/>).</remarks>
internal sealed class RelayedSignatures : ISignatureVerifier
{
    public static RelayedSignatures Instance { get; } = new();

    public bool Verify(ParticipantIndex signer, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> signature) =>
        signature.Length == EcdsaP256Signer.SignatureLength;
}
