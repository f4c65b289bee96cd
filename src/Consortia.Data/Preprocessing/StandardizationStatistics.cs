using System.Globalization;
using Consortia.Learning;

namespace Consortia.Data.Preprocessing;

/// <summary>
/// The per-feature mean and unbiased standard deviation of a set of rows, and the FLamby standardisation
/// <c>x' = (x − mean) / (std + 1e-9)</c> they define.
/// </summary>
/// <remarks>
/// A constant feature has std 0 and becomes 0 everywhere (Switzerland's cholesterol in Fed-Heart-Disease).
/// Statistics of a site's data describe that site's patients in aggregate; treat them like the data.
/// Record equality compares the lists by reference.
/// </remarks>
public sealed record StandardizationStatistics
{
    /// <summary>The constant added to the standard deviation before dividing (FLamby's value).</summary>
    public const double Epsilon = 1e-9;

    /// <summary>Creates statistics from known values.</summary>
    /// <param name="featureNames">The feature names, in column order.</param>
    /// <param name="means">One mean per feature.</param>
    /// <param name="standardDeviations">One non-negative standard deviation per feature.</param>
    /// <param name="sampleCount">The number of rows the statistics were computed from.</param>
    /// <exception cref="ArgumentException">The lengths differ, or a value is not finite or a deviation is negative.</exception>
    public StandardizationStatistics(IReadOnlyList<string> featureNames, IReadOnlyList<double> means, IReadOnlyList<double> standardDeviations, int sampleCount)
    {
        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentNullException.ThrowIfNull(means);
        ArgumentNullException.ThrowIfNull(standardDeviations);
        ArgumentOutOfRangeException.ThrowIfNegative(sampleCount);
        if (means.Count != featureNames.Count || standardDeviations.Count != featureNames.Count)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"Expected {featureNames.Count} means and deviations, got {means.Count} and {standardDeviations.Count}."),
                nameof(means));
        }

        for (int j = 0; j < means.Count; j++)
        {
            if (!double.IsFinite(means[j]) || !double.IsFinite(standardDeviations[j]) || standardDeviations[j] < 0)
            {
                throw new ArgumentException($"Feature '{featureNames[j]}' has a non-finite mean or a negative or non-finite deviation.", nameof(standardDeviations));
            }
        }

        FeatureNames = featureNames;
        Means = means;
        StandardDeviations = standardDeviations;
        SampleCount = sampleCount;
    }

    /// <summary>The feature names, in column order.</summary>
    public IReadOnlyList<string> FeatureNames { get; }

    /// <summary>The mean of each feature.</summary>
    public IReadOnlyList<double> Means { get; }

    /// <summary>The unbiased (n − 1) standard deviation of each feature.</summary>
    public IReadOnlyList<double> StandardDeviations { get; }

    /// <summary>The number of rows the statistics were computed from.</summary>
    public int SampleCount { get; }

    /// <summary>Computes the statistics of a dataset's features (in double precision).</summary>
    /// <param name="data">At least two rows.</param>
    /// <returns>The statistics.</returns>
    /// <exception cref="ArgumentException">The dataset has fewer than two rows, so the unbiased deviation is undefined.</exception>
    public static StandardizationStatistics Compute(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        double[] values = new double[data.Features.Length];
        ReadOnlySpan<float> features = data.Features;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = features[i];
        }

        return Compute(new FeatureMatrix(data.FeatureNames, values));
    }

    /// <summary>Standardises a dataset's features; labels and times are kept.</summary>
    /// <param name="data">A dataset with the same feature names.</param>
    /// <returns>A new, standardised dataset.</returns>
    /// <exception cref="ArgumentException">The feature names differ.</exception>
    public Dataset Apply(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        CheckNames(data.FeatureNames);
        int d = FeatureNames.Count;
        float[] features = new float[data.Features.Length];
        ReadOnlySpan<float> source = data.Features;
        for (int i = 0; i < features.Length; i++)
        {
            int j = i % d;
            features[i] = (float)((source[i] - Means[j]) / (StandardDeviations[j] + Epsilon));
        }

        return new Dataset(data.FeatureNames, features, data.Labels.ToArray(), data.HasTimes ? data.Times.ToArray() : null);
    }

    internal static StandardizationStatistics Compute(FeatureMatrix matrix)
    {
        int n = matrix.RowCount;
        int d = matrix.ColumnCount;
        if (n < 2)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"The unbiased standard deviation needs at least 2 rows, got {n}."), nameof(matrix));
        }

        double[] means = new double[d];
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<double> row = matrix.Row(r);
            for (int j = 0; j < d; j++)
            {
                means[j] += row[j];
            }
        }

        for (int j = 0; j < d; j++)
        {
            means[j] /= n;
        }

        // Two passes: the sum of squared deviations from the mean, not E[x²] − E[x]², which cancels badly.
        double[] deviations = new double[d];
        for (int r = 0; r < n; r++)
        {
            ReadOnlySpan<double> row = matrix.Row(r);
            for (int j = 0; j < d; j++)
            {
                double delta = row[j] - means[j];
                deviations[j] += delta * delta;
            }
        }

        for (int j = 0; j < d; j++)
        {
            deviations[j] = Math.Sqrt(deviations[j] / (n - 1));
        }

        return new StandardizationStatistics(matrix.Names, means, deviations, n);
    }

    internal FeatureMatrix Apply(FeatureMatrix matrix)
    {
        CheckNames(matrix.Names);
        int d = FeatureNames.Count;
        double[] values = new double[matrix.Values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            int j = i % d;
            values[i] = (matrix.Values[i] - Means[j]) / (StandardDeviations[j] + Epsilon);
        }

        return new FeatureMatrix(matrix.Names, values);
    }

    private void CheckNames(IReadOnlyList<string> names)
    {
        if (!names.SequenceEqual(FeatureNames, StringComparer.Ordinal))
        {
            throw new ArgumentException("The data's features differ from those the statistics were computed on.", nameof(names));
        }
    }
}
