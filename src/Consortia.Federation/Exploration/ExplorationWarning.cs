namespace Consortia.Federation.Exploration;

/// <summary>What a warning of <c>consortia explore</c> is about.</summary>
public enum ExplorationWarningKind
{
    /// <summary>A feature's distribution at a site differs sharply from the other sites' (standardised mean difference or KS distance).</summary>
    DistributionShift,

    /// <summary>A spike at 0 in a measurement whose other values are far from 0: probably missing values coded as 0.</summary>
    CodedMissing,

    /// <summary>A site's values barely overlap the other sites': per-site standardisation would remove the very difference between them.</summary>
    NoOverlap,

    /// <summary>The label is nearly constant at a site.</summary>
    NearlyConstantLabel,
}

/// <summary>One warning: the site, the feature, and the number behind it against its threshold.</summary>
/// <param name="Kind">What it is about.</param>
/// <param name="Site">The site.</param>
/// <param name="Feature">The feature, or <see langword="null"/> for a label warning.</param>
/// <param name="Measure">The name of the number (for example <c>KS distance</c>).</param>
/// <param name="Value">The number.</param>
/// <param name="Threshold">The threshold it crossed.</param>
/// <param name="Message">A sentence for people.</param>
public sealed record ExplorationWarning(ExplorationWarningKind Kind, string Site, string? Feature, string Measure, double Value, double Threshold, string Message);
