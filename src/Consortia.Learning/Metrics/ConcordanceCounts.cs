namespace Consortia.Learning.Metrics;

/// <summary>The pair counts behind Harrell's concordance index.</summary>
/// <param name="Concordant">Comparable pairs in which the subject with the earlier event has the strictly higher risk score.</param>
/// <param name="TiedRisk">Comparable pairs whose risk scores are equal; each counts one half.</param>
/// <param name="ComparablePairs">All comparable (admissible) pairs.</param>
/// <remarks>
/// Counts from disjoint groups (for example sites) can be summed field by field; the index of the sum is then
/// the concordance over within-group pairs only, because pairs across groups were never compared.
/// </remarks>
public readonly record struct ConcordanceCounts(long Concordant, long TiedRisk, long ComparablePairs)
{
    /// <summary>
    /// The concordance index (Concordant + TiedRisk / 2) / ComparablePairs, or <see cref="double.NaN"/> when
    /// there is no comparable pair.
    /// </summary>
    public double Index => ComparablePairs == 0 ? double.NaN : (Concordant + (TiedRisk / 2.0)) / ComparablePairs;
}
