namespace Consortia.Data.Exploration;

/// <summary>One numeric feature of one site on its original scale (before any standardisation).</summary>
/// <param name="Name">The feature name.</param>
/// <param name="Values">One value per row; NaN where the value is missing.</param>
/// <param name="Lower">The contract's lower bound, when it declares one.</param>
/// <param name="Upper">The contract's upper bound, when it declares one.</param>
/// <remarks>Record equality compares the values by reference.</remarks>
public sealed record RawFeature(string Name, double[] Values, double? Lower = null, double? Upper = null);

/// <summary>A site's rows as data exploration needs them: numeric features on their original scale, missing values kept, and the label.</summary>
/// <param name="Site">The site name.</param>
/// <param name="Features">The numeric features, in the same order at every site.</param>
/// <param name="Labels">The label (or survival event) of each row, 0 or 1; NaN where it is missing.</param>
/// <remarks>Like the rows themselves, a table stays at its site: only the statistics computed from it are released.</remarks>
public sealed record RawSiteTable(string Site, IReadOnlyList<RawFeature> Features, double[] Labels);
