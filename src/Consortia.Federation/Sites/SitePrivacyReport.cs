namespace Consortia.Federation.Sites;

/// <summary>What DP-SGD (or, with client-level DP, the rounds the site booked) has cost one site in one job so far.</summary>
/// <param name="Site">The site.</param>
/// <param name="Epsilon">ε spent by the job at the site (RDP composition over its rounds, improved conversion).</param>
/// <param name="Delta">δ.</param>
/// <param name="NoiseMultiplier">σ used.</param>
/// <param name="SampleRate">q = B/n (client level: 1, the site claims no amplification by site sampling).</param>
/// <param name="Steps">DP-SGD steps taken (client level: rounds the site took part in).</param>
/// <param name="LifetimeEpsilon">ε spent at the site across all jobs (from its budget ledger), or <see langword="null"/> without a ledger.</param>
/// <param name="LifetimeBudget">The site's lifetime ε budget, or <see langword="null"/> without a ledger.</param>
public sealed record SitePrivacyReport(SiteId Site, double Epsilon, double Delta, double NoiseMultiplier, double SampleRate, long Steps, double? LifetimeEpsilon, double? LifetimeBudget)
{
    /// <summary>
    /// The mechanism the site charged: <c>sampled_gaussian</c> (DP-SGD, or central client-level noise),
    /// <c>distributed_discrete_gaussian</c> or <c>distributed_skellam</c> (the sites' own integer noise, accounted by its
    /// own RDP bound).
    /// </summary>
    /// <value>Default: <c>sampled_gaussian</c>.</value>
    public string Mechanism { get; init; } = "sampled_gaussian";

    /// <summary>ε of the latest accounted round alone at <see cref="Delta"/> (what one round costs the site).</summary>
    /// <value>Default: 0.</value>
    public double RoundEpsilon { get; init; }
}
