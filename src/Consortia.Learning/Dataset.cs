namespace Consortia.Learning;

/// <summary>
/// A dense, row-major table of float features with one target per row and, for survival tasks, a time.
/// </summary>
/// <remarks>
/// For classification <see cref="Labels"/> holds 0/1 class labels. For survival analysis it holds the
/// event indicator (1 = event observed, 0 = censored) and <see cref="Times"/> holds the time to event or
/// censoring. Instances are immutable by convention: nothing in Consortia writes into the arrays after
/// construction.
/// </remarks>
public sealed class Dataset
{
    private readonly float[] _features;
    private readonly float[] _labels;
    private readonly float[]? _times;

    /// <summary>Creates a dataset over the given arrays (not copied).</summary>
    /// <param name="featureNames">The feature names, one per column.</param>
    /// <param name="features">Row-major features, <c>rows × featureNames.Count</c> values.</param>
    /// <param name="labels">One target per row.</param>
    /// <param name="times">Survival times, one per row, or <see langword="null"/> for classification.</param>
    /// <exception cref="ArgumentException">The array lengths do not agree.</exception>
    public Dataset(IReadOnlyList<string> featureNames, float[] features, float[] labels, float[]? times = null)
    {
        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (featureNames.Count == 0)
        {
            throw new ArgumentException("A dataset needs at least one feature.", nameof(featureNames));
        }

        if (features.Length != labels.Length * featureNames.Count)
        {
            throw new ArgumentException(
                $"Expected {labels.Length} rows × {featureNames.Count} features = {labels.Length * featureNames.Count} values, got {features.Length}.",
                nameof(features));
        }

        if (times is not null && times.Length != labels.Length)
        {
            throw new ArgumentException($"Expected {labels.Length} times, got {times.Length}.", nameof(times));
        }

        FeatureNames = featureNames;
        _features = features;
        _labels = labels;
        _times = times;
    }

    /// <summary>The feature names in column order.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The number of rows.</summary>
    public int Count => _labels.Length;

    /// <summary>The number of feature columns.</summary>
    public int FeatureCount => FeatureNames.Count;

    /// <summary>All features, row-major.</summary>
    public ReadOnlySpan<float> Features => _features;

    /// <summary>The targets (class labels, or event indicators for survival).</summary>
    public ReadOnlySpan<float> Labels => _labels;

    /// <summary>Whether the dataset carries survival times.</summary>
    public bool HasTimes => _times is not null;

    /// <summary>The survival times; empty when <see cref="HasTimes"/> is false.</summary>
    public ReadOnlySpan<float> Times => _times;

    /// <summary>Returns the features of one row.</summary>
    /// <param name="row">The zero-based row index.</param>
    /// <returns>The row's features.</returns>
    public ReadOnlySpan<float> Row(int row) => _features.AsSpan(row * FeatureCount, FeatureCount);

    /// <summary>Returns a new dataset holding the given rows in the given order.</summary>
    /// <param name="rows">Zero-based row indices.</param>
    /// <returns>A copy of the selected rows.</returns>
    public Dataset Select(ReadOnlySpan<int> rows)
    {
        int d = FeatureCount;
        float[] features = new float[rows.Length * d];
        float[] labels = new float[rows.Length];
        float[]? times = _times is null ? null : new float[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            int r = rows[i];
            Row(r).CopyTo(features.AsSpan(i * d, d));
            labels[i] = _labels[r];
            if (times is not null)
            {
                times[i] = _times![r]; // times is non-null exactly when _times is.
            }
        }

        return new Dataset(FeatureNames, features, labels, times);
    }

    /// <summary>Concatenates datasets with the same feature names, in the given order.</summary>
    /// <param name="parts">The datasets to concatenate.</param>
    /// <returns>One dataset with all rows.</returns>
    /// <exception cref="ArgumentException">The parts are empty or their columns differ.</exception>
    public static Dataset Concat(IReadOnlyList<Dataset> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0)
        {
            throw new ArgumentException("Nothing to concatenate.", nameof(parts));
        }

        Dataset first = parts[0];
        int rows = 0;
        foreach (Dataset p in parts)
        {
            if (!p.FeatureNames.SequenceEqual(first.FeatureNames) || p.HasTimes != first.HasTimes)
            {
                throw new ArgumentException("All parts must have the same columns.", nameof(parts));
            }

            rows += p.Count;
        }

        float[] features = new float[rows * first.FeatureCount];
        float[] labels = new float[rows];
        float[]? times = first.HasTimes ? new float[rows] : null;
        int offset = 0;
        foreach (Dataset p in parts)
        {
            p.Features.CopyTo(features.AsSpan(offset * first.FeatureCount));
            p.Labels.CopyTo(labels.AsSpan(offset));
            if (times is not null)
            {
                p.Times.CopyTo(times.AsSpan(offset));
            }

            offset += p.Count;
        }

        return new Dataset(first.FeatureNames, features, labels, times);
    }
}
