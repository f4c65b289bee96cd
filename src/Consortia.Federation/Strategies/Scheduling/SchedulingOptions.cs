namespace Consortia.Federation.Strategies.Scheduling;

/// <summary>A job's <c>scheduling:</c> section: who trains each round, by when, and how much.</summary>
public sealed record SchedulingOptions
{
    /// <summary>The fraction of the roster whose updates a round aggregates.</summary>
    /// <value>Default: 1 (every site).</value>
    public double Fraction { get; init; } = 1.0;

    /// <summary>The smallest number of sites a round aggregates (when the roster has that many).</summary>
    /// <value>Default: 1.</value>
    public int MinimumSites { get; init; } = 1;

    /// <summary>Whether selection is stratified by data size: sites are ranked by their training examples, cut into
    /// <see cref="Strata"/> groups, and each group contributes its share, so that a round never draws only the small
    /// clinics or only the university hospitals.</summary>
    /// <value>Default: <see langword="false"/>.</value>
    public bool StratifyBySize { get; init; }

    /// <summary>The number of size strata when <see cref="StratifyBySize"/> is set.</summary>
    /// <value>Default: 3 (small, medium, large).</value>
    public int Strata { get; init; } = 3;

    /// <summary>How long a round waits for updates; sites not done by then are left out. <see langword="null"/> waits for all.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public TimeSpan? Deadline { get; init; }

    /// <summary>Over-selection: ask this fraction more sites than the round needs and keep the first that finish.</summary>
    /// <value>Default: 0.</value>
    public double OverSelection { get; init; }

    /// <summary>Work sized to capacity: each site's local steps are the ones its reported speed fits into
    /// <see cref="WorkShare"/> of the deadline (at most the job's local steps, which is all a site accepts, and at least one), and the
    /// aggregation is corrected for the unequal work (FedNova). Requires <see cref="Deadline"/>.</summary>
    /// <value>Default: <see langword="false"/>.</value>
    public bool CapacitySizedWork { get; init; }

    /// <summary>The share of the deadline given to computation; the rest is left for transfers and latency.</summary>
    /// <value>Default: 0.8.</value>
    public double WorkShare { get; init; } = 0.8;

    /// <summary>FedBuff (Nguyen et al., 2022): aggregate every this-many updates as they arrive, each weighted by
    /// 1/√(1 + staleness), while the other sites keep training; rounds have no barrier. <see langword="null"/>: synchronous rounds.</summary>
    /// <value>Default: <see langword="null"/>.</value>
    public int? Buffer { get; init; }

    /// <summary>Checks the options and names the offending field.</summary>
    /// <exception cref="ArgumentException">A field is out of range.</exception>
    public void Validate()
    {
        if (!(Fraction > 0 && Fraction <= 1))
        {
            throw new ArgumentException($"scheduling.fraction: expected a value in (0, 1], got {Fraction}.");
        }

        if (MinimumSites < 1)
        {
            throw new ArgumentException($"scheduling.min_sites: expected a positive integer, got {MinimumSites}.");
        }

        if (Strata < 1)
        {
            throw new ArgumentException($"scheduling.strata: expected a positive integer, got {Strata}.");
        }

        if (Deadline is { } d && d <= TimeSpan.Zero)
        {
            throw new ArgumentException($"scheduling.deadline_seconds: expected a positive duration, got {d.TotalSeconds}.");
        }

        if (!(OverSelection >= 0 && OverSelection <= 10))
        {
            throw new ArgumentException($"scheduling.over_selection: expected a value in [0, 10], got {OverSelection}.");
        }

        if (Buffer is < 1)
        {
            throw new ArgumentException($"scheduling.buffer: expected a positive integer, got {Buffer}.");
        }

        if (Buffer is not null && (Deadline is not null || OverSelection > 0 || Fraction < 1))
        {
            throw new ArgumentException("scheduling.buffer: asynchronous aggregation asks every idle site and aggregates the first `buffer` updates; it takes no deadline_seconds, over_selection or fraction.");
        }

        if (CapacitySizedWork && Deadline is null)
        {
            throw new ArgumentException("scheduling.capacity_sized_work: work is sized to fit the deadline; set scheduling.deadline_seconds.");
        }

        if (!(WorkShare > 0 && WorkShare <= 1))
        {
            throw new ArgumentException($"scheduling.work_share: expected a value in (0, 1], got {WorkShare}.");
        }
    }
}
