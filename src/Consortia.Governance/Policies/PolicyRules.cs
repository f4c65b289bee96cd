namespace Consortia.Governance.Policies;

/// <summary>The stable names of policy rules, as they appear in decisions, the ledger and reports.</summary>
public static class PolicyRules
{
    /// <summary>A site policy is installed (without one, everything is refused).</summary>
    public const string Policy = "policy";

    /// <summary>The job's consortium is allowed.</summary>
    public const string Consortium = "consortium";

    /// <summary>The job's owner is allowed.</summary>
    public const string Owner = "owner";

    /// <summary>The model kind is allowed.</summary>
    public const string Model = "model";

    /// <summary>The strategy is allowed.</summary>
    public const string Strategy = "strategy";

    /// <summary>Secure aggregation is used when required.</summary>
    public const string SecureAggregation = "secure-aggregation";

    /// <summary>The job's (or round's) number of sites per aggregate reaches the site's minimum.</summary>
    public const string MinSites = "min-sites";

    /// <summary>Differential privacy is used, in the required mode, when required.</summary>
    public const string DpRequired = "dp-required";

    /// <summary>The job's ε is within the site's per-job ceiling.</summary>
    public const string DpEpsilonCeiling = "dp-epsilon-ceiling";

    /// <summary>The job's δ is within the site's limit.</summary>
    public const string DpDelta = "dp-delta";

    /// <summary>The site's lifetime ε budget is not exceeded.</summary>
    public const string DpBudget = "dp-budget";

    /// <summary>Client-level DP noise added by the coordinator (trusted coordinator) although the site's policy forbids it.</summary>
    public const string DpTrustedCoordinator = "dp-trusted-coordinator";

    /// <summary>Every output of the job (including its implied update) is allowed; per-patient outputs never are.</summary>
    public const string Outputs = "outputs";

    /// <summary>Every data column the job reads is in the allow-list.</summary>
    public const string Columns = "columns";

    /// <summary>The evaluation time is inside a schedule window.</summary>
    public const string Schedule = "schedule";
}
