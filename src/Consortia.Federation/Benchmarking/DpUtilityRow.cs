namespace Consortia.Federation.Benchmarking;

/// <summary>Test accuracy of one DP mode at one ε, averaged over centers and seeds.</summary>
/// <param name="Mode"><c>sample-level</c>, <c>client-level</c> (central noise, trusted coordinator) or <c>distributed</c> (client-level, the sites' integer noise under secure aggregation).</param>
/// <param name="Epsilon">The job's target ε; <see langword="null"/> for the job without DP.</param>
/// <param name="Accuracy">Mean over seeds of the final mean test accuracy over centers.</param>
public sealed record DpUtilityRow(string Mode, double? Epsilon, double Accuracy)
{
    /// <summary>The client-level ε the run itself reports (Gaussian accountant for central noise, the mechanism's own accountant for distributed), or <see langword="null"/>.</summary>
    public double? ReportedEpsilon { get; init; }

    /// <summary>The largest ε a site booked in its own ledger for the run (the mechanism it ran, per round it took part in), or <see langword="null"/> without DP.</summary>
    public double? SiteEpsilon { get; init; }

    /// <summary>The mechanism the sites charged (<c>sampled_gaussian</c>, <c>distributed_discrete_gaussian</c>, <c>distributed_skellam</c>), or <see langword="null"/> without DP.</summary>
    public string? Mechanism { get; init; }

    /// <summary>The total noise multiplier z the run calibrated (client-level modes), or <see langword="null"/>.</summary>
    public double? NoiseMultiplier { get; init; }
}
