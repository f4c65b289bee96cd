using Consortia.Governance.Audit;

namespace Consortia.Governance.Verification;

/// <summary>The result of verifying a ledger file.</summary>
/// <param name="Path">The file.</param>
/// <param name="IsValid">Whether every check passed.</param>
/// <param name="EntryCount">How many entries were checked and found good (all of them when valid).</param>
/// <param name="WriterId">The writer named in the header, when readable.</param>
/// <param name="Role">The role named in the header, when readable.</param>
/// <param name="KeyFingerprint">The fingerprint of the key signatures were checked against, when known.</param>
/// <param name="KeySuppliedExternally">Whether that key was supplied by the caller (stronger) rather than taken from the header.</param>
/// <param name="HeadHash">The hash of the last good entry (the header hash when there is none), when known.</param>
/// <param name="Problem">The first problem, or <see langword="null"/> when valid.</param>
/// <remarks>
/// Deleting entries from the end of a ledger leaves a valid, shorter chain; compare <paramref name="HeadHash"/> and
/// <paramref name="EntryCount"/> with values recorded elsewhere (the compliance report, the coordinator) to detect it.
/// Verifying against the header's own key does not detect a ledger rewritten wholesale with a new key; supply the
/// writer's key from its certificate for that.
/// </remarks>
public sealed record LedgerVerification(
    string Path,
    bool IsValid,
    long EntryCount,
    string? WriterId,
    LedgerRole? Role,
    string? KeyFingerprint,
    bool KeySuppliedExternally,
    string? HeadHash,
    LedgerProblem? Problem);
