using Consortia.Governance.Policies;

namespace Consortia.Governance.Audit.Events;

/// <summary>The privacy accountant charged a round (or a whole job) to the site's budget.</summary>
/// <param name="JobId">The job.</param>
/// <param name="Round">The round, or <see langword="null"/> for a job-level charge.</param>
/// <param name="Mode">Sample-level or client-level.</param>
/// <param name="JobEpsilon">The job's cumulative ε at this site after the charge (from the accountant, not a sum of increments).</param>
/// <param name="Delta">The δ at which <paramref name="JobEpsilon"/> holds.</param>
public sealed record PrivacyChargeEvent(string JobId, int? Round, DpMode Mode, double JobEpsilon, double Delta) : LedgerEvent
{
    /// <inheritdoc/>
    public override LedgerEventType Type => LedgerEventType.PrivacyCharge;

    /// <summary>The site's lifetime ε (all jobs) after the charge, when known.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public double? LifetimeEpsilon { get; init; }

    /// <summary>The site's lifetime ε budget at the time of the charge, when known.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public double? LifetimeBudget { get; init; }
}
