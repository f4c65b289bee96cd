namespace Consortia.Governance.Agreements;

/// <summary>
/// The stable names of the agreement's clauses as a site enforces them: they appear in refusals, the site's ledger,
/// compliance reports and the rendered agreement's table of controls.
/// </summary>
public static class AgreementRules
{
    /// <summary>The agreement or its signatures file cannot be read or is invalid.</summary>
    public const string File = "agreement-file";

    /// <summary>The quorum of valid member signatures over the agreement's current text (an altered agreement has none).</summary>
    public const string Signatures = "agreement-signatures";

    /// <summary>Today is within the agreement's validity dates.</summary>
    public const string Validity = "agreement-validity";

    /// <summary>The job runs in the agreement's consortium.</summary>
    public const string Consortium = "agreement-consortium";

    /// <summary>The site enforcing the agreement is one of its members.</summary>
    public const string Member = "agreement-member";

    /// <summary>The job declares one of the agreement's purpose codes.</summary>
    public const string Purpose = "agreement-purpose";

    /// <summary>The job's owner may submit jobs.</summary>
    public const string Submitter = "agreement-submitter";

    /// <summary>The job's learning task is allowed.</summary>
    public const string Task = "agreement-task";

    /// <summary>The job's model kind is allowed.</summary>
    public const string Model = "agreement-model";

    /// <summary>The job's aggregation strategy is allowed.</summary>
    public const string Strategy = "agreement-strategy";

    /// <summary>The job reads only columns of the agreed data categories.</summary>
    public const string Data = "agreement-data";

    /// <summary>The job uses secure aggregation when the agreement requires it.</summary>
    public const string SecureAggregation = "agreement-secure-aggregation";

    /// <summary>The job promises at least the agreed number of sites per aggregate.</summary>
    public const string MinSites = "agreement-min-sites";

    /// <summary>The job uses differential privacy (in the agreed mode, within the agreed δ) when the agreement requires it.</summary>
    public const string Dp = "agreement-dp";

    /// <summary>The job's ε is within the agreed cap per job.</summary>
    public const string EpsilonPerJob = "agreement-epsilon-per-job";

    /// <summary>The member's lifetime ε after the job is within the agreed cap.</summary>
    public const string EpsilonLifetime = "agreement-epsilon-lifetime";

    /// <summary>Released numbers: per-patient outputs never, and the site's own policy withholds metrics over fewer records than the agreed minimum cell count.</summary>
    public const string Outputs = "agreement-outputs";
}
