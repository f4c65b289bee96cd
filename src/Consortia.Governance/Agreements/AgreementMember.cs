namespace Consortia.Governance.Agreements;

/// <summary>One party to a consortium agreement: an organisation and the site (node) through which it takes part.</summary>
/// <param name="Organisation">The legal entity, as it signs contracts.</param>
/// <param name="Site">The site's name, as in its node configuration, roster entry and ledger.</param>
/// <param name="Contact">Who answers for the organisation (e.g. its data protection officer).</param>
/// <param name="Jurisdiction">Where the organisation's data is governed, e.g. <c>EU-DE</c> or <c>US-OH</c>.</param>
/// <param name="LegalBasis">The legal basis on which the organisation processes its data for the consortium.</param>
/// <param name="KeyFingerprint">The SHA-256 fingerprint (lowercase hex) of the site's long-term signing key: the only key whose signature counts for this member.</param>
public sealed record AgreementMember(string Organisation, string Site, string Contact, string Jurisdiction, LegalBasis LegalBasis, string KeyFingerprint);

/// <summary>The legal basis of a member's processing; at least one entry is present.</summary>
/// <param name="Gdpr">The GDPR basis, e.g. <c>Art. 6(1)(e); Art. 9(2)(j)</c>, or <see langword="null"/>.</param>
/// <param name="Hipaa">The HIPAA role and pathway, e.g. <c>covered entity; limited data set under a data use agreement</c>, or <see langword="null"/>.</param>
/// <param name="Other">Any other basis (national law, ethics approval), or <see langword="null"/>.</param>
public sealed record LegalBasis(string? Gdpr, string? Hipaa, string? Other)
{
    /// <summary>The basis in one line, for the rendered agreement.</summary>
    /// <returns>The text.</returns>
    public string Describe() => string.Join("; ", new[] { Gdpr is null ? null : "GDPR " + Gdpr, Hipaa is null ? null : "HIPAA " + Hipaa, Other }.OfType<string>());
}
