namespace Consortia.Federation.Exploration;

/// <summary>How one site took part in an exploration.</summary>
/// <param name="Site">The site name.</param>
/// <param name="Contributed">Whether its figures are in the combined ones.</param>
/// <param name="Released">Whether its own figures were released (the per-site columns of the report).</param>
/// <param name="MinCellCount">The minimum cell count its policy applies, when it contributed.</param>
/// <param name="Reason">Why it did not contribute or release its own figures, or <see langword="null"/>.</param>
public sealed record SiteParticipation(string Site, bool Contributed, bool Released, int? MinCellCount, string? Reason);

/// <summary>The released figures of one feature: its grid, the combined figures and each site's (where released).</summary>
/// <param name="Name">The feature name.</param>
/// <param name="Grid">The shared histogram grid.</param>
/// <param name="Combined">The figures over every contributing site.</param>
/// <param name="Sites">Each site's figures in <see cref="ExplorationReport.Sites"/> order; <see langword="null"/> where not released.</param>
public sealed record FeatureExploration(string Name, FeatureGrid Grid, FeatureFigures Combined, IReadOnlyList<FeatureFigures?> Sites);

/// <summary>What <c>consortia explore</c> releases about a job's data before any training.</summary>
/// <param name="Job">The job name.</param>
/// <param name="SecureAggregation">Whether the combined figures were summed through a secure-aggregation round.</param>
/// <param name="PerSiteStandardization">Whether the job standardises features per site (which makes non-overlapping sites a problem).</param>
/// <param name="Sites">The sites and how they took part.</param>
/// <param name="Features">The numeric features.</param>
/// <param name="CombinedLabels">The label balance over every contributing site.</param>
/// <param name="SiteLabels">Each site's label balance; <see langword="null"/> where not released.</param>
/// <param name="Warnings">The warnings, by kind, site and feature.</param>
/// <remarks>Record equality compares the lists by reference.</remarks>
public sealed record ExplorationReport(
    string Job, bool SecureAggregation, bool PerSiteStandardization, IReadOnlyList<SiteParticipation> Sites, IReadOnlyList<FeatureExploration> Features,
    LabelFigures CombinedLabels, IReadOnlyList<LabelFigures?> SiteLabels, IReadOnlyList<ExplorationWarning> Warnings);
