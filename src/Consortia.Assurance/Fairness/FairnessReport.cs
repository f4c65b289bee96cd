using System.Collections.Immutable;
using Consortia.Data.Contracts;

namespace Consortia.Assurance.Fairness;

/// <summary>The audited metrics of one (attribute, group) cell, computed from counts only.</summary>
/// <param name="Attribute">The attribute.</param>
/// <param name="Group">The group.</param>
/// <param name="N">The records counted (only sites that released the cell).</param>
/// <param name="Positives">Of which with label 1.</param>
/// <param name="Sites">How many sites released the cell (the others withheld it as too small).</param>
/// <param name="Accuracy">Accuracy at the threshold, Wilson interval.</param>
/// <param name="Tpr">True-positive rate (sensitivity), Wilson interval.</param>
/// <param name="Fpr">False-positive rate (1 − specificity), Wilson interval.</param>
/// <param name="PositiveRate">The share predicted positive (demographic parity compares it), Wilson interval.</param>
/// <param name="Auc">ROC-AUC over all the group's pairs (across sites too), at score resolution 1/1024, Hanley–McNeil interval.</param>
/// <param name="CalibrationError">Expected calibration error over 10 equal-width bins (its interval: <see cref="GroupCurves.CalibrationError"/>).</param>
public sealed record GroupFairness(
    string Attribute, string Group, long N, long Positives, int Sites,
    Interval Accuracy, Interval Tpr, Interval Fpr, Interval PositiveRate, Interval Auc, double CalibrationError)
{
    /// <summary>The cell's ROC curve, calibration bins and calibration error interval from the same counts (null when read from a file that has none).</summary>
    public GroupCurves? Curves { get; init; }
}

/// <summary>The largest between-group difference of one metric within an attribute, with the two groups it is between.</summary>
/// <param name="Metric">The metric (<c>tpr</c>, <c>fpr</c>, <c>accuracy</c>, <c>auc</c>, <c>positive_rate</c>, or the combined gaps).</param>
/// <param name="Gap">max − min over the groups where the metric is defined, with the interval of that pair's difference.</param>
/// <param name="High">The group with the largest value.</param>
/// <param name="Low">The group with the smallest value.</param>
public sealed record FairnessGap(string Metric, Interval Gap, string High, string Low);

/// <summary>The gaps of one attribute.</summary>
/// <param name="Attribute">The attribute.</param>
/// <param name="Gaps">The gaps, including <c>equalised_odds</c> (the larger of the TPR and FPR gaps) and <c>demographic_parity</c> (the positive-rate gap).</param>
public sealed record AttributeGaps(string Attribute, ImmutableArray<FairnessGap> Gaps)
{
    /// <summary>The gap of <paramref name="metric"/>.</summary>
    /// <param name="metric">The metric name.</param>
    /// <returns>The gap.</returns>
    public FairnessGap this[string metric] => Gaps.Single(g => g.Metric == metric);
}

/// <summary>
/// The coordinator's side of a fairness audit: per-group metrics and between-group gaps, from the sum of the sites'
/// count vectors (which is all it receives).
/// </summary>
/// <param name="Groups">Every cell, in layout order (site first).</param>
/// <param name="Gaps">Per attribute, the gaps.</param>
/// <param name="Overall">
/// All records together (attribute <see cref="OverallAttribute"/>): the sum of the site cells, so the records of a site
/// that withheld its own cell are not in it. Null when read from a file that has none.
/// </param>
/// <remarks>
/// Intervals are 95 %: Wilson score intervals for the rates; Hanley &amp; McNeil (1982) standard errors for the AUC;
/// Newcombe's hybrid score interval for a difference of rates and a Wald interval for a difference of AUCs. A gap over
/// more than two groups carries the interval of the difference between the two extreme groups, conditional on which
/// groups they are (so it is somewhat narrow). A gap is between groups that were released; withheld groups are absent.
/// </remarks>
public sealed record FairnessReport(ImmutableArray<GroupFairness> Groups, ImmutableArray<AttributeGaps> Gaps, GroupFairness? Overall = null)
{
    /// <summary>The attribute (and group) name of <see cref="Overall"/>.</summary>
    public const string OverallAttribute = "all";

    /// <summary>Computes the report from the summed counts.</summary>
    /// <param name="audit">The audit.</param>
    /// <param name="sum">The element-wise sum of every site's <see cref="SiteFairnessCounts.Counts"/>.</param>
    /// <returns>The report.</returns>
    /// <exception cref="ArgumentException">The sum's length is not the layout's.</exception>
    public static FairnessReport FromCounts(FairnessAudit audit, ReadOnlySpan<long> sum)
    {
        ArgumentNullException.ThrowIfNull(audit);
        FairnessCountLayout layout = audit.Layout;
        if (sum.Length != layout.Length)
        {
            throw new ArgumentException($"The summed counts have {sum.Length} entries; the audit's layout has {layout.Length}.", nameof(sum));
        }

        ImmutableArray<GroupFairness>.Builder groups = ImmutableArray.CreateBuilder<GroupFairness>(layout.Cells.Length);
        for (int c = 0; c < layout.Cells.Length; c++)
        {
            groups.Add(Metrics(layout.Cells[c], sum.Slice(c * FairnessCountLayout.BlockLength, FairnessCountLayout.BlockLength)));
        }

        // Every record is in exactly one site cell, so the site blocks sum to the whole test population.
        long[] overall = new long[FairnessCountLayout.BlockLength];
        for (int s = 0; s < audit.Sites.Length; s++)
        {
            ReadOnlySpan<long> block = sum.Slice(layout.CellIndex(0, s) * FairnessCountLayout.BlockLength, FairnessCountLayout.BlockLength);
            for (int i = 0; i < overall.Length; i++)
            {
                overall[i] += block[i];
            }
        }

        ImmutableArray<GroupFairness> all = groups.MoveToImmutable();
        return new FairnessReport(all, [.. layout.Attributes.Select(a => GapsOf(a, all))], Metrics(new FairnessCell(OverallAttribute, OverallAttribute), overall));
    }

    /// <summary>The metrics of one cell from its block of counts.</summary>
    internal static GroupFairness Metrics(FairnessCell cell, ReadOnlySpan<long> block)
    {
        long tp = block[FairnessCountLayout.TruePositives], fp = block[FairnessCountLayout.FalsePositives];
        long tn = block[FairnessCountLayout.TrueNegatives], fn = block[FairnessCountLayout.FalseNegatives];
        long n = tp + fp + tn + fn;
        ReadOnlySpan<long> negatives = block.Slice(FairnessCountLayout.NegativeHistogram, FairnessCountLayout.ScoreLevels + 1);
        ReadOnlySpan<long> positives = block.Slice(FairnessCountLayout.PositiveHistogram, FairnessCountLayout.ScoreLevels + 1);
        GroupCurves curves = GroupCurves.FromHistograms(negatives, positives);
        return new GroupFairness(
            cell.Attribute, cell.Group, n, tp + fn, (int)block[FairnessCountLayout.Released],
            Interval.Wilson(tp + tn, n), Interval.Wilson(tp, tp + fn), Interval.Wilson(fp, fp + tn), Interval.Wilson(tp + fp, n),
            Auc(negatives, positives), curves.CalibrationError.Value)
        {
            Curves = curves,
        };
    }

    // Twice the Mann–Whitney U over score levels, ties counting one half: the same sum ClassificationMetrics.RocAuc
    // forms over sorted scores, so on the same (quantised) scores the two agree to the last bit.
    private static Interval Auc(ReadOnlySpan<long> negatives, ReadOnlySpan<long> positives)
    {
        long p = 0, q = 0, twiceU = 0, negativesBelow = 0;
        for (int k = 0; k < negatives.Length; k++)
        {
            twiceU += positives[k] * ((2 * negativesBelow) + negatives[k]);
            negativesBelow += negatives[k];
            p += positives[k];
            q += negatives[k];
        }

        if (p == 0 || q == 0)
        {
            return Interval.Undefined;
        }

        return Interval.HanleyMcNeil(twiceU / (2.0 * p * q), p, q);
    }

    private static AttributeGaps GapsOf(SensitiveVariable attribute, ImmutableArray<GroupFairness> all)
    {
        GroupFairness[] groups = [.. all.Where(g => g.Attribute == attribute.Name && g.N > 0)];
        FairnessGap tpr = Gap("tpr", groups, g => g.Tpr, Interval.NewcombeDifference);
        FairnessGap fpr = Gap("fpr", groups, g => g.Fpr, Interval.NewcombeDifference);
        FairnessGap parity = Gap("positive_rate", groups, g => g.PositiveRate, Interval.NewcombeDifference) with { Metric = "demographic_parity" };
        FairnessGap odds = (double.IsNaN(fpr.Gap.Value) || tpr.Gap.Value >= fpr.Gap.Value ? tpr : fpr) with { Metric = "equalised_odds" };
        return new AttributeGaps(attribute.Name,
        [
            tpr, fpr, odds, parity,
            Gap("accuracy", groups, g => g.Accuracy, Interval.NewcombeDifference),
            Gap("auc", groups, g => g.Auc, Interval.WaldDifference),
        ]);
    }

    private static FairnessGap Gap(string metric, GroupFairness[] groups, Func<GroupFairness, Interval> value, Func<Interval, Interval, Interval> difference)
    {
        GroupFairness[] defined = [.. groups.Where(g => !double.IsNaN(value(g).Value))];
        if (defined.Length < 2)
        {
            return new FairnessGap(metric, Interval.Undefined, "", "");
        }

        GroupFairness high = defined.MaxBy(g => value(g).Value)!;
        GroupFairness low = defined.MinBy(g => value(g).Value)!;
        return new FairnessGap(metric, difference(value(high), value(low)), high.Group, low.Group);
    }
}
