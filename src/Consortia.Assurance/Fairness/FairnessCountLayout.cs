using System.Collections.Immutable;
using Consortia.Data.Contracts;

namespace Consortia.Assurance.Fairness;

/// <summary>One (attribute, group) cell of a fairness audit.</summary>
/// <param name="Attribute">The attribute's name.</param>
/// <param name="Group">The group's name.</param>
public readonly record struct FairnessCell(string Attribute, string Group);

/// <summary>
/// The fixed layout of the integer count vector a site sends for a fairness audit: one block per (attribute, group)
/// cell holding a released flag, the confusion matrix at the threshold, and the histograms of quantised scores of the
/// negatives and the positives.
/// </summary>
/// <remarks>
/// Everything in the vector is a non-negative integer, so it sums exactly, also through secure aggregation (mod 2^32).
/// The score histograms (probabilities rounded to <see cref="ScoreLevels"/>ths) give the ROC-AUC across all sites
/// (pairs from different sites included) and the calibration bins; the confusion matrix uses the unrounded probability.
/// </remarks>
public sealed class FairnessCountLayout
{
    /// <summary>Probabilities are counted at this resolution: level k = round(p · 1024). A power of two, so k/1024 is exact in float and double.</summary>
    public const int ScoreLevels = 1024;

    /// <summary>The number of equal-width calibration bins (as <see cref="Learning.Metrics.ClassificationMetrics.Calibration"/>'s default).</summary>
    public const int CalibrationBins = 10;

    internal const int Released = 0;
    internal const int TruePositives = 1;
    internal const int FalsePositives = 2;
    internal const int TrueNegatives = 3;
    internal const int FalseNegatives = 4;
    internal const int NegativeHistogram = 5;
    internal const int PositiveHistogram = NegativeHistogram + ScoreLevels + 1;

    /// <summary>The length of one cell's block.</summary>
    public const int BlockLength = PositiveHistogram + ScoreLevels + 1;

    internal FairnessCountLayout(IReadOnlyList<SensitiveVariable> attributes)
    {
        Attributes = [.. attributes];
        ImmutableArray<FairnessCell>.Builder cells = ImmutableArray.CreateBuilder<FairnessCell>();
        List<int> starts = [];
        foreach (SensitiveVariable attribute in attributes)
        {
            starts.Add(cells.Count);
            cells.AddRange(attribute.Groups.Select(g => new FairnessCell(attribute.Name, g.Name)));
        }

        Cells = cells.ToImmutable();
        _attributeStarts = [.. starts];
    }

    private readonly ImmutableArray<int> _attributeStarts;

    /// <summary>The attributes, the site first.</summary>
    public ImmutableArray<SensitiveVariable> Attributes { get; }

    /// <summary>The cells in vector order.</summary>
    public ImmutableArray<FairnessCell> Cells { get; }

    /// <summary>The length of the whole vector.</summary>
    public int Length => Cells.Length * BlockLength;

    /// <summary>The histogram of quantised scores of the negatives (outcome 0) of cell number <paramref name="cell"/> in a count vector of this layout.</summary>
    /// <param name="counts">A count vector of this layout.</param>
    /// <param name="cell">The cell's index in <see cref="Cells"/>.</param>
    /// <returns><see cref="ScoreLevels"/> + 1 counts, level 0 first.</returns>
    public ReadOnlySpan<long> NegativeScores(ReadOnlySpan<long> counts, int cell) => Block(counts, cell).Slice(NegativeHistogram, ScoreLevels + 1);

    /// <summary>The histogram of quantised scores of the positives (outcome 1) of cell number <paramref name="cell"/> in a count vector of this layout.</summary>
    /// <param name="counts">A count vector of this layout.</param>
    /// <param name="cell">The cell's index in <see cref="Cells"/>.</param>
    /// <returns><see cref="ScoreLevels"/> + 1 counts, level 0 first.</returns>
    public ReadOnlySpan<long> PositiveScores(ReadOnlySpan<long> counts, int cell) => Block(counts, cell).Slice(PositiveHistogram, ScoreLevels + 1);

    private ReadOnlySpan<long> Block(ReadOnlySpan<long> counts, int cell)
    {
        if (counts.Length != Length)
        {
            throw new ArgumentException($"A count vector of this layout has {Length} entries, not {counts.Length}.", nameof(counts));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(cell);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cell, Cells.Length);
        return counts.Slice(cell * BlockLength, BlockLength);
    }

    /// <summary>The index of the cell of group <paramref name="group"/> of attribute number <paramref name="attribute"/>.</summary>
    internal int CellIndex(int attribute, int group) => _attributeStarts[attribute] + group;

    /// <summary>The quantised score level of a probability: round(p · <see cref="ScoreLevels"/>), half to even.</summary>
    /// <param name="probability">A probability in [0, 1].</param>
    /// <returns>The level, 0 … <see cref="ScoreLevels"/>.</returns>
    public static int Level(float probability) => (int)Math.Round(Math.Clamp((double)probability, 0, 1) * ScoreLevels, MidpointRounding.ToEven);

    /// <summary>The calibration bin of a score level: as <c>ClassificationMetrics.Calibration</c> bins the probability level/1024.</summary>
    internal static int CalibrationBin(int level) => Math.Min((int)((double)level / ScoreLevels * CalibrationBins), CalibrationBins - 1);
}
