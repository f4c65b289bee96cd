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

    /// <summary>
    /// Each site's latest report over <paramref name="rounds"/> (<see cref="Engine.RoundReport.Privacy"/>), from the last
    /// round it contributed to: the figures are cumulative (the job so far, the lifetime spend), and with site sampling
    /// the final round need not include every site. Sites in the order they first reported.
    /// </summary>
    /// <param name="rounds">The job's rounds, oldest first.</param>
    /// <returns>One report per site that reported; empty without DP.</returns>
    public static IReadOnlyList<SitePrivacyReport> LatestOf(IEnumerable<Engine.RoundReport> rounds)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        Dictionary<SiteId, SitePrivacyReport> latest = [];
        List<SiteId> order = [];
        foreach (SitePrivacyReport report in rounds.SelectMany(r => r.Privacy))
        {
            if (latest.TryAdd(report.Site, report))
            {
                order.Add(report.Site);
            }
            else
            {
                latest[report.Site] = report;
            }
        }

        return [.. order.Select(s => latest[s])];
    }

    /// <summary>The mechanism names a site may report (<see cref="Mechanism"/>).</summary>
    public static IReadOnlyList<string> Mechanisms { get; } = ["sampled_gaussian", "distributed_discrete_gaussian", "distributed_skellam"];

    /// <summary>
    /// Why this report cannot be <paramref name="site"/>'s own accounting, or <see langword="null"/> when it can: it names
    /// another site, a value is NaN, infinite or out of range, the mechanism is unknown, or the figures contradict each
    /// other in a way no honest accountant produces (one round costing more than the whole job, a lifetime ε beyond the
    /// lifetime budget, which the site's ledger never lets happen, or only one of the two lifetime figures).
    /// </summary>
    /// <param name="site">The site the report came from (authenticated by its certificate over the network).</param>
    /// <returns>The problem, naming the field; <see langword="null"/> when none.</returns>
    public string? ProblemFor(SiteId site)
    {
        // Composition only adds cost, so the job's ε is at least the round's; the tolerance absorbs float rounding only.
        const double Slack = 1e-9;
        return Site != site ? I($"site: the report names '{Site}', but it came from '{site}'")
            : !(double.IsFinite(Epsilon) && Epsilon >= 0) ? I($"epsilon: expected a finite number ≥ 0, got {Epsilon}")
            : !(double.IsFinite(RoundEpsilon) && RoundEpsilon >= 0) ? I($"round_epsilon: expected a finite number ≥ 0, got {RoundEpsilon}")
            : RoundEpsilon > Epsilon * (1 + Slack) + Slack ? I($"round_epsilon: {RoundEpsilon} exceeds the job's epsilon {Epsilon}")
            : !(Delta > 0 && Delta < 1) ? I($"delta: expected a number in (0, 1), got {Delta}")
            : !(double.IsFinite(NoiseMultiplier) && NoiseMultiplier >= 0) ? I($"noise_multiplier: expected a finite number ≥ 0, got {NoiseMultiplier}")
            : !(SampleRate > 0 && SampleRate <= 1) ? I($"sample_rate: expected a number in (0, 1], got {SampleRate}")
            : Steps < 0 ? I($"steps: expected ≥ 0, got {Steps}")
            : !Mechanisms.Contains(Mechanism, StringComparer.Ordinal) ? I($"mechanism: expected one of {string.Join(", ", Mechanisms)}, got '{Mechanism}'")
            : LifetimeEpsilon.HasValue != LifetimeBudget.HasValue ? "lifetime_epsilon, lifetime_budget: expected both or neither"
            : LifetimeEpsilon is { } spent && !(double.IsFinite(spent) && spent >= 0) ? I($"lifetime_epsilon: expected a finite number ≥ 0, got {spent}")
            : LifetimeBudget is { } budget && !(double.IsFinite(budget) && budget > 0) ? I($"lifetime_budget: expected a finite number > 0, got {budget}")
            : LifetimeEpsilon > LifetimeBudget * (1 + Slack) ? I($"lifetime_epsilon: {LifetimeEpsilon} exceeds the lifetime budget {LifetimeBudget}, which the site's ledger never allows")
            : null;
    }

    /// <summary>Formats invariantly: the message goes to logs and the wire, the same on every host.</summary>
    private static string I(FormattableString text) => text.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
