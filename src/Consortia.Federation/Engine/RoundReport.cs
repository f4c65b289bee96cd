using Consortia.Federation.Sites;
using Consortia.Federation.Strategies;

namespace Consortia.Federation.Engine;

/// <summary>What happened in one round, for progress display, logs and reports.</summary>
/// <param name="Round">The round.</param>
/// <param name="Contributors">Sites whose updates were aggregated, in canonical order.</param>
/// <param name="Refusals">Sites that refused, with rule and reason.</param>
/// <param name="Failures">Sites that failed or missed the deadline.</param>
/// <param name="TrainLoss">The example-weighted mean local training loss (NaN if nobody trained).</param>
/// <param name="Evaluation">Federated evaluation of the new model, or <see langword="null"/> when not evaluated.</param>
/// <param name="Aggregated">Whether the model was updated (false when too few sites contributed).</param>
/// <param name="Elapsed">Wall time of the round.</param>
/// <param name="AggregationFailure">Why secure aggregation produced no sum (e.g. fewer survivors than the threshold), or <see langword="null"/>.</param>
public sealed record RoundReport(
    RoundNumber Round,
    IReadOnlyList<SiteId> Contributors,
    IReadOnlyList<Refused> Refusals,
    IReadOnlyList<SiteReply> Failures,
    double TrainLoss,
    MetricSummary? Evaluation,
    bool Aggregated,
    TimeSpan Elapsed,
    string? AggregationFailure = null)
{
    /// <summary>SHA-256 of each contributor's update as the coordinator received it (masked under secure aggregation).</summary>
    public IReadOnlyList<KeyValuePair<SiteId, string>> UpdateHashes { get; init; } = [];

    /// <summary>
    /// What the job has cost each contributing site's privacy budget so far, as the site itself reported it with its
    /// update (its own accountant's figures: ε of the job, the round, and its lifetime ε against its budget). Empty
    /// without DP, or when the sites did not report it.
    /// </summary>
    public IReadOnlyList<SitePrivacyReport> Privacy { get; init; } = [];
}
