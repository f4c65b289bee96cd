namespace Consortia.Federation.RedTeam;

/// <summary>
/// The site-side protections against a malicious coordinator, as switches. Every site runs with <see cref="All"/>;
/// only the red team builds sites with fewer (<c>consortia redteam coordinator --unprotected</c>), to show that its
/// attacks succeed against a weakened site and so that the suite can fail. Internal on purpose: no job, policy or
/// configuration file can turn a protection off.
/// </summary>
[Flags]
internal enum SiteProtections
{
    /// <summary>Nothing: the site obeys every task as sent, with randomness derived from the coordinator's job seed.</summary>
    None = 0,

    /// <summary>The site's random choices come from its own cryptographic generator, not the job seed.</summary>
    PrivateRandomness = 1,

    /// <summary>Every task must match the job the site accepted (secure session, DP settings, participants).</summary>
    TaskPinning = 2,

    /// <summary>A site contributes to a (job, round) once.</summary>
    OneContributionPerRound = 4,

    /// <summary>Evaluation passes the same policy checks as training.</summary>
    EvaluationPolicy = 8,

    /// <summary>Secure aggregation peers are authenticated against the site's accepted roster; thresholds and survivors checked.</summary>
    AuthenticatedSecureAggregation = 16,

    /// <summary>Every protection: how every site outside the red team runs.</summary>
    All = PrivateRandomness | TaskPinning | OneContributionPerRound | EvaluationPolicy | AuthenticatedSecureAggregation,
}
