using Consortia.Governance.Roster;

namespace Consortia.Governance.Agreements;

/// <summary>
/// A site policy's pointer to the consortium agreement the site enforces (<c>agreement: {file, signatures}</c> in the
/// policy file): the site then refuses every job outside the agreement, beside its own policy.
/// </summary>
/// <param name="File">The agreement file (full path).</param>
/// <param name="Signatures">The signatures file (full path; by default beside the agreement, see <see cref="AgreementSignatures.DefaultPath"/>).</param>
public sealed record AgreementReference(string File, string Signatures)
{
    /// <summary>
    /// Reads the agreement and its signatures now (each job re-reads them, so an agreement altered on disk is refused by
    /// the next job) and verifies the signatures.
    /// </summary>
    /// <param name="roster">The consortium roster the site accepted (signatures count only by the keys it lists), or <see langword="null"/>.</param>
    /// <returns>The status, or the problem that made the files unreadable.</returns>
    public (AgreementStatus? Status, string? Problem) Open(ConsortiumRoster? roster = null)
    {
        try
        {
            ConsortiumAgreement agreement = AgreementLoader.Load(File);
            return (AgreementSignatures.Verify(agreement, AgreementSignatures.Load(Signatures), roster), null);
        }
        catch (AgreementFileException error)
        {
            return (null, error.Message);
        }
    }
}
