using System.Collections.Immutable;
using Consortia.Data;
using Consortia.Data.Contracts;
using Consortia.Learning;
using Consortia.Learning.Models;

namespace Consortia.Assurance.Fairness;

/// <summary>
/// What one site releases for a fairness audit: the count vector of <see cref="FairnessCountLayout"/>, with every cell
/// computed over fewer records than the site's minimum cell count left at zero (suppressed at the site: its counts never
/// leave it, and its released flag is 0).
/// </summary>
/// <param name="Site">The site.</param>
/// <param name="Counts">The vector that leaves the site (alone, or as a secure-aggregation input); for a Cox model it has <see cref="SurvivalFairnessCounts"/>' layout.</param>
/// <param name="Suppressed">The cells the site withheld (kept at the site, for its own report; not sent).</param>
public sealed record SiteFairnessCounts(string Site, ImmutableArray<long> Counts, ImmutableArray<FairnessCell> Suppressed)
{
    /// <summary>Computes a site's counts from its model outputs.</summary>
    /// <param name="audit">The audit.</param>
    /// <param name="site">The site's name (one of <see cref="FairnessAudit.Sites"/>).</param>
    /// <param name="probabilities">The model's probability for each test record.</param>
    /// <param name="labels">The test labels, 0 or 1.</param>
    /// <param name="groups">Per declared attribute (in <see cref="FairnessAudit.Attributes"/> order), each record's group index.</param>
    /// <param name="minimumCellCount">The site policy's minimum cell count: a cell over fewer records is withheld.</param>
    /// <returns>The counts to send.</returns>
    /// <exception cref="ArgumentException">Lengths differ, a label is not 0 or 1, a probability is not in [0, 1], or a group index is out of range.</exception>
    public static SiteFairnessCounts Compute(
        FairnessAudit audit, string site, ReadOnlySpan<float> probabilities, ReadOnlySpan<float> labels, IReadOnlyList<int[]> groups, int minimumCellCount)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentOutOfRangeException.ThrowIfLessThan(minimumCellCount, 1);
        int siteIndex = audit.Sites.IndexOf(site);
        if (siteIndex < 0)
        {
            throw new ArgumentException($"Site '{site}' is not one of the audit's sites ({string.Join(", ", audit.Sites)}).", nameof(site));
        }

        int records = labels.Length;
        if (probabilities.Length != records || groups.Count != audit.Attributes.Length || groups.Any(g => g.Length != records))
        {
            throw new ArgumentException(
                $"Expected one probability, label and group per record for each of the {audit.Attributes.Length} attributes; got {probabilities.Length} probabilities, {labels.Length} labels and {groups.Count} group columns.", nameof(groups));
        }

        FairnessCountLayout layout = audit.Layout;
        long[] counts = new long[layout.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            float p = probabilities[i];
            float y = labels[i];
            if (!(p is >= 0f and <= 1f) || (y != 0f && y != 1f))
            {
                throw new ArgumentException($"Record {i}: probability {p} (expected [0, 1]) and label {y} (expected 0 or 1).", nameof(probabilities));
            }

            bool positive = y == 1f;
            int outcome = (p > audit.Threshold, positive) switch
            {
                (true, true) => FairnessCountLayout.TruePositives,
                (true, false) => FairnessCountLayout.FalsePositives,
                (false, false) => FairnessCountLayout.TrueNegatives,
                (false, true) => FairnessCountLayout.FalseNegatives,
            };
            int histogram = (positive ? FairnessCountLayout.PositiveHistogram : FairnessCountLayout.NegativeHistogram) + FairnessCountLayout.Level(p);
            Add(counts, layout.CellIndex(0, siteIndex), outcome, histogram);
            for (int a = 0; a < groups.Count; a++)
            {
                int g = groups[a][i];
                if ((uint)g >= (uint)audit.Attributes[a].Groups.Length)
                {
                    throw new ArgumentException($"Record {i}: group index {g} of attribute '{audit.Attributes[a].Name}' is out of range.", nameof(groups));
                }

                Add(counts, layout.CellIndex(a + 1, g), outcome, histogram);
            }
        }

        ImmutableArray<FairnessCell>.Builder suppressed = ImmutableArray.CreateBuilder<FairnessCell>();
        for (int c = 0; c < layout.Cells.Length; c++)
        {
            Span<long> block = counts.AsSpan(c * FairnessCountLayout.BlockLength, FairnessCountLayout.BlockLength);
            long n = block[FairnessCountLayout.TruePositives] + block[FairnessCountLayout.FalsePositives] + block[FairnessCountLayout.TrueNegatives] + block[FairnessCountLayout.FalseNegatives];
            bool otherSiteCell = c < audit.Sites.Length && c != siteIndex; // another site's cell: none of this site's records
            if (otherSiteCell)
            {
                continue;
            }

            if (n < minimumCellCount)
            {
                // Small-cell suppression at the source: the block is cleared before anything is sent, so neither the
                // plain report nor a secure-aggregation input carries it; the flag tells the coordinator how many sites
                // contributed to each cell.
                block.Clear();
                suppressed.Add(layout.Cells[c]);
            }
            else
            {
                block[FairnessCountLayout.Released] = 1;
            }
        }

        return new SiteFairnessCounts(site, [.. counts], suppressed.ToImmutable());
    }

    /// <summary>Computes a site's counts for <paramref name="model"/> on its test data, reading the sensitive columns from it.</summary>
    /// <param name="audit">The audit.</param>
    /// <param name="site">The site's data (its test part is audited).</param>
    /// <param name="model">The model.</param>
    /// <param name="parameters">The model's parameters.</param>
    /// <param name="minimumCellCount">The site policy's minimum cell count.</param>
    /// <returns>The counts to send.</returns>
    /// <exception cref="ArgumentException">A sensitive column is not a feature of the data, or a record falls in no declared group (the message names the site, column and value).</exception>
    public static SiteFairnessCounts Compute(FairnessAudit audit, SiteData site, IModel model, ReadOnlySpan<float> parameters, int minimumCellCount)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(site);
        ArgumentNullException.ThrowIfNull(model);
        float[] probabilities = Predict(model, parameters, site.Test);
        return Compute(audit, site.Name, probabilities, site.Test.Labels, GroupsOf(audit.Attributes, site, site.Test), minimumCellCount);
    }

    /// <summary>The model's probability for each record of <paramref name="data"/>.</summary>
    internal static float[] Predict(IModel model, ReadOnlySpan<float> parameters, Dataset data)
    {
        if (model.Spec.Kind == ModelKind.CoxPh)
        {
            throw new ArgumentException("A fairness audit of classification metrics needs a classifier; a Cox model outputs risk scores, not probabilities.", nameof(model));
        }

        float[] probabilities = new float[data.Count];
        model.Predict(parameters, data.Features, probabilities);
        return probabilities;
    }

    /// <summary>Each record's group index for each attribute (see <see cref="SensitiveVariable.GroupsOf"/>).</summary>
    /// <param name="attributes">The attributes.</param>
    /// <param name="site">The site.</param>
    /// <param name="data">The records (the site's train or test part).</param>
    /// <returns>One array of group indices per attribute.</returns>
    public static IReadOnlyList<int[]> GroupsOf(IReadOnlyList<SensitiveVariable> attributes, SiteData site, Dataset data)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        return [.. attributes.Select(a => a.GroupsOf(site, data))];
    }

    private static void Add(long[] counts, int cell, int outcome, int histogram)
    {
        int start = cell * FairnessCountLayout.BlockLength;
        counts[start + outcome]++;
        counts[start + histogram]++;
    }
}
