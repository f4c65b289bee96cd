namespace Consortia.Governance.Policies;

/// <summary>What may leave a site. Per-patient outputs are never allowed and have no switch.</summary>
/// <param name="MaskedUpdates">Whether model updates protected by secure-aggregation masks may leave.</param>
/// <param name="PlainUpdates">Whether unmasked model updates may leave (the coordinator then sees this site's update).</param>
/// <param name="AggregateMetrics">Whether aggregate metrics may leave.</param>
/// <param name="MinCellCount">The smallest number of records an aggregate metric may be computed over; required when <paramref name="AggregateMetrics"/> is true.</param>
public sealed record OutputPolicy(bool MaskedUpdates, bool PlainUpdates, bool AggregateMetrics, int? MinCellCount)
{
    /// <summary>The most evaluations (federated test metrics of a model the coordinator sends) the site releases per job.</summary>
    /// <value>Default <see langword="null"/>: twice the job's rounds plus two (one evaluation per round and per retried round).</value>
    public int? MaxEvaluationsPerJob { get; init; }

    /// <summary>The most fairness audits (per-group counts of a model the site received in the run) the site answers per job run.</summary>
    /// <value>Default <see langword="null"/>: <see cref="DefaultMaxAuditsPerJob"/>.</value>
    public int? MaxAuditsPerJob { get; init; }

    /// <summary>The audit cap when the policy sets none: one audit, a second by other attributes, and a retry.</summary>
    public const int DefaultMaxAuditsPerJob = 3;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentException">A value is missing or out of range; the message names it.</exception>
    public void Validate()
    {
        if (AggregateMetrics && MinCellCount is null)
        {
            throw new ArgumentException("outputs.min_cell_count: required when aggregate_metrics is allowed.", nameof(MinCellCount));
        }

        if (MaxEvaluationsPerJob is < 0)
        {
            throw new ArgumentException($"outputs.max_evaluations_per_job: must be at least 0, got {MaxEvaluationsPerJob}.", nameof(MaxEvaluationsPerJob));
        }

        if (MaxAuditsPerJob is < 0)
        {
            throw new ArgumentException($"outputs.max_audits_per_job: must be at least 0, got {MaxAuditsPerJob}.", nameof(MaxAuditsPerJob));
        }

        if (MinCellCount is < 1)
        {
            throw new ArgumentException($"outputs.min_cell_count: must be at least 1, got {MinCellCount}.", nameof(MinCellCount));
        }
    }
}
