using Consortia.Governance.Audit;

namespace Consortia.Governance.Agreements;

/// <summary>One member's signature over an agreement, as kept in the signatures file.</summary>
/// <param name="Site">The signing member's site.</param>
/// <param name="PublicKey">The key that signed (it counts only when its fingerprint is the member's <c>key</c> in the agreement).</param>
/// <param name="AgreementSha256">The agreement hash the member signed.</param>
/// <param name="SignedAt">When the member signed (UTC, ISO 8601), part of the signed statement.</param>
/// <param name="Signature">The ECDSA P-256 signature (IEEE P1363, 64 bytes) over <see cref="AgreementSignatures.Statement"/>.</param>
public sealed record AgreementSignature(string Site, LedgerPublicKey PublicKey, string AgreementSha256, string SignedAt, ReadOnlyMemory<byte> Signature);

/// <summary>Whether an agreement is signed and in force, and why not.</summary>
/// <param name="Agreement">The agreement.</param>
/// <param name="Valid">The members whose signature verifies (site names, in member order).</param>
/// <param name="Invalid">Every signature that does not count, with the reason (altered agreement, unknown signer, wrong key, bad signature).</param>
/// <param name="Missing">The members who have not signed (validly).</param>
public sealed record AgreementStatus(ConsortiumAgreement Agreement, IReadOnlyList<string> Valid, IReadOnlyList<string> Invalid, IReadOnlyList<string> Missing)
{
    /// <summary>Whether enough members signed and no signature is invalid (one invalid signature means the file was tampered with or the agreement changed after signing).</summary>
    public bool QuorumSigned => Invalid.Count == 0 && Valid.Count >= Agreement.RequiredSignatures;

    /// <summary>Whether the agreement is in force at <paramref name="now"/>: <see cref="QuorumSigned"/> and within its validity dates.</summary>
    /// <param name="now">The instant.</param>
    /// <returns><see langword="true"/> when in force.</returns>
    public bool InForce(DateTimeOffset now) => QuorumSigned && Agreement.Validity.Contains(now);

    /// <summary>Why the agreement is or is not signed, in one sentence.</summary>
    /// <returns>The text.</returns>
    public string DescribeSignatures() => Invalid.Count > 0
        ? $"{Invalid.Count} signature(s) do not verify: {string.Join("; ", Invalid)}"
        : Valid.Count >= Agreement.RequiredSignatures
            ? $"signed by {Valid.Count} of {Agreement.Members.Count} members ({string.Join(", ", Valid)}); the quorum is {Agreement.RequiredSignatures}"
            : $"signed by {Valid.Count} of {Agreement.Members.Count} members; the quorum is {Agreement.RequiredSignatures}; missing: {string.Join(", ", Missing)}";
}
