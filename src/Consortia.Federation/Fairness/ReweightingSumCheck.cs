namespace Consortia.Federation.Fairness;

/// <summary>
/// A site's checks of the summed (group, label) counts a coordinator sends for group reweighting
/// (<see cref="Sites.TrainTask.ReweightingCounts"/>) before it resamples its own training records by them: the
/// coordinator is not trusted, so a sum that cannot be the sites' counts, that changes within a run, or whose weights
/// would drop or multiply this site's records beyond a sane factor (to single out records) is refused, naming the rule.
/// </summary>
public static class ReweightingSumCheck
{
    /// <summary>Rule: the task carries a sum of the right shape that can contain this site's own counts.</summary>
    public const string SumRule = "reweighting-sum";

    /// <summary>Rule: the sum is the one the site received first in this run (pinned).</summary>
    public const string PinRule = "reweighting-pinned";

    /// <summary>Rule: every weight of a cell holding this site's records lies in [<see cref="MinimumWeight"/>, <see cref="MaximumWeight"/>].</summary>
    public const string WeightRule = "reweighting-weight";

    /// <summary>The largest weight a site accepts: a record is copied at most this many times.</summary>
    public const double MaximumWeight = 20;

    /// <summary>The smallest weight a site accepts for a cell it holds records of: a cell is never (nearly) emptied.</summary>
    public const double MinimumWeight = 1.0 / MaximumWeight;

    /// <summary>The first rule the sum breaks, or <see langword="null"/> when the site may resample by its weights.</summary>
    /// <param name="sum">The summed counts the task carries (index 2·g + y), or <see langword="null"/> when it carries none.</param>
    /// <param name="own">This site's own counts as it released them (same indexing; cells below its minimum cell count cleared when released plainly).</param>
    /// <param name="held">This site's actual counts: every cell holding records must get a weight within bounds.</param>
    /// <param name="pinned">The sum this site received first in the run, or <see langword="null"/> on first receipt.</param>
    /// <returns>The rule and why, in words for the job owner (no data values beyond the cell index), or <see langword="null"/>.</returns>
    public static (string Rule, string Reason)? Problem(IReadOnlyList<long>? sum, IReadOnlyList<long> own, IReadOnlyList<long> held, IReadOnlyList<long>? pinned)
    {
        ArgumentNullException.ThrowIfNull(own);
        ArgumentNullException.ThrowIfNull(held);
        if (sum is null)
        {
            return (SumRule, "the job asks for fairness.reweighting, but the training task carries no summed counts; the site does not train without the mitigation it accepted");
        }

        if (sum.Count != own.Count || held.Count != own.Count)
        {
            return (SumRule, $"the summed counts have {sum.Count} cells; the job's reweighting attribute has {own.Count} (2 per group)");
        }

        for (int c = 0; c < sum.Count; c++)
        {
            if (sum[c] < 0)
            {
                return (SumRule, $"cell {c} of the summed counts is negative");
            }

            if (sum[c] < own[c])
            {
                return (SumRule, $"cell {c} of the summed counts is smaller than this site's own count of it; it cannot be a sum that includes this site");
            }
        }

        if (pinned is not null && !pinned.SequenceEqual(sum))
        {
            return (PinRule, "the summed counts differ from the ones this site received first in this job run; the training counts do not change within a run");
        }

        double[] weights = GroupReweighting.Weights([.. sum]);
        for (int c = 0; c < weights.Length; c++)
        {
            if (held[c] > 0 && !(weights[c] is >= MinimumWeight and <= MaximumWeight))
            {
                return (WeightRule, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the weight of cell {c}, which holds records of this site, would be {weights[c]:G4}, outside [{MinimumWeight:G4}, {MaximumWeight:G4}]; the site does not drop or multiply its records that far"));
            }
        }

        return null;
    }
}
