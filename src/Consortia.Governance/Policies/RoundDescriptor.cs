namespace Consortia.Governance.Policies;

/// <summary>What the policy evaluator checks before a site takes part in one round.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Round">The round number (1-based).</param>
/// <param name="ParticipatingSites">How many sites are in this round's aggregate (the survivors the site sees).</param>
public sealed record RoundDescriptor(string JobId, int Round, int ParticipatingSites)
{
    /// <summary>The ε this job will have spent at the site after this round, from the accountant; checked against the per-job ceiling.</summary>
    /// <value>Default <see langword="null"/> (not checked).</value>
    public double? JobEpsilonAfterRound { get; init; }

    /// <summary>The ε all jobs together will have spent at the site after this round; checked against the lifetime budget.</summary>
    /// <value>Default <see langword="null"/> (not checked).</value>
    public double? LifetimeEpsilonAfterRound { get; init; }
}
