using System.Collections.Immutable;
using Consortia.Data.Contracts;

namespace Consortia.Assurance.Fairness;

/// <summary>The audited numbers of one (attribute, group) cell of a survival model, from counts only.</summary>
/// <param name="Attribute">The attribute.</param>
/// <param name="Group">The group.</param>
/// <param name="N">The records counted (only sites that released the cell).</param>
/// <param name="Events">Of which with an observed event.</param>
/// <param name="Sites">How many sites released the cell.</param>
/// <param name="ComparablePairs">The comparable pairs behind the C-index (within sites).</param>
/// <param name="CIndex">Harrell's C-index over the group's within-site pairs, with a Hanley–McNeil interval (events against their mean number of comparable partners).</param>
public sealed record SurvivalGroupFairness(string Attribute, string Group, long N, long Events, int Sites, long ComparablePairs, Interval CIndex);

/// <summary>
/// The coordinator's side of a survival-model fairness audit: per-group C-index and the between-group C-index gap per
/// attribute, from the sum of the sites' <see cref="SurvivalFairnessCounts"/> vectors.
/// </summary>
/// <param name="Groups">Every cell, in layout order (site first).</param>
/// <param name="Gaps">Per attribute, the <c>c_index</c> gap (max − min over released groups with comparable pairs, Wald interval of that difference).</param>
public sealed record SurvivalFairnessReport(ImmutableArray<SurvivalGroupFairness> Groups, ImmutableArray<AttributeGaps> Gaps)
{
    /// <summary>Computes the report from the summed counts.</summary>
    /// <param name="audit">The audit.</param>
    /// <param name="sum">The element-wise sum of every site's counts.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentException">The sum's length is not the layout's.</exception>
    public static SurvivalFairnessReport FromCounts(FairnessAudit audit, ReadOnlySpan<long> sum)
    {
        ArgumentNullException.ThrowIfNull(audit);
        if (sum.Length != SurvivalFairnessCounts.Length(audit))
        {
            throw new ArgumentException($"The summed counts have {sum.Length} entries; the audit's survival layout has {SurvivalFairnessCounts.Length(audit)}.", nameof(sum));
        }

        ImmutableArray<SurvivalGroupFairness>.Builder groups = ImmutableArray.CreateBuilder<SurvivalGroupFairness>(audit.Layout.Cells.Length);
        for (int c = 0; c < audit.Layout.Cells.Length; c++)
        {
            ReadOnlySpan<long> block = sum.Slice(c * SurvivalFairnessCounts.BlockLength, SurvivalFairnessCounts.BlockLength);
            FairnessCell cell = audit.Layout.Cells[c];
            long events = block[SurvivalFairnessCounts.Events], pairs = block[SurvivalFairnessCounts.Comparable];
            double index = pairs == 0 ? double.NaN : (block[SurvivalFairnessCounts.Concordant] + (block[SurvivalFairnessCounts.TiedRisk] / 2.0)) / pairs;
            groups.Add(new SurvivalGroupFairness(
                cell.Attribute, cell.Group, block[SurvivalFairnessCounts.Records], events, (int)block[SurvivalFairnessCounts.Released], pairs,
                pairs == 0 ? Interval.Undefined : Interval.HanleyMcNeil(index, events, (double)pairs / events)));
        }

        ImmutableArray<SurvivalGroupFairness> all = groups.MoveToImmutable();
        return new SurvivalFairnessReport(all, [.. audit.Layout.Attributes.Select(a => GapOf(a, all))]);
    }

    private static AttributeGaps GapOf(SensitiveVariable attribute, ImmutableArray<SurvivalGroupFairness> all)
    {
        SurvivalGroupFairness[] defined = [.. all.Where(g => g.Attribute == attribute.Name && !double.IsNaN(g.CIndex.Value))];
        if (defined.Length < 2)
        {
            return new AttributeGaps(attribute.Name, [new FairnessGap("c_index", Interval.Undefined, "", "")]);
        }

        SurvivalGroupFairness high = defined.MaxBy(g => g.CIndex.Value)!, low = defined.MinBy(g => g.CIndex.Value)!;
        return new AttributeGaps(attribute.Name, [new FairnessGap("c_index", Interval.WaldDifference(high.CIndex, low.CIndex), high.Group, low.Group)]);
    }
}
