using System.Diagnostics;
using Consortia.Learning;

namespace Consortia.Data.Preprocessing;

/// <summary>
/// A row-major table of double-precision features used while preprocessing, so that statistics are
/// computed from the values as read; converted to a float <see cref="Dataset"/> only at the end.
/// </summary>
internal sealed class FeatureMatrix
{
    public FeatureMatrix(IReadOnlyList<string> names, double[] values)
    {
        Debug.Assert(names.Count > 0 && values.Length % names.Count == 0, "Whole rows only.");
        Names = names;
        Values = values;
    }

    public IReadOnlyList<string> Names { get; }

    public double[] Values { get; }

    public int ColumnCount => Names.Count;

    public int RowCount => Values.Length / Names.Count;

    public ReadOnlySpan<double> Row(int row) => Values.AsSpan(row * ColumnCount, ColumnCount);

    public FeatureMatrix Select(ReadOnlySpan<int> rows)
    {
        int d = ColumnCount;
        double[] values = new double[rows.Length * d];
        for (int i = 0; i < rows.Length; i++)
        {
            Row(rows[i]).CopyTo(values.AsSpan(i * d, d));
        }

        return new FeatureMatrix(Names, values);
    }

    public static FeatureMatrix Concat(IReadOnlyList<FeatureMatrix> parts)
    {
        Debug.Assert(parts.Count > 0, "At least one part.");
        int total = parts.Sum(p => p.Values.Length);
        double[] values = new double[total];
        int offset = 0;
        foreach (FeatureMatrix part in parts)
        {
            Debug.Assert(part.Names.SequenceEqual(parts[0].Names), "Same columns.");
            part.Values.CopyTo(values, offset);
            offset += part.Values.Length;
        }

        return new FeatureMatrix(parts[0].Names, values);
    }

    public Dataset ToDataset(ReadOnlySpan<double> labels, ReadOnlySpan<double> times, bool hasTimes)
    {
        Debug.Assert(labels.Length == RowCount && (!hasTimes || times.Length == RowCount), "One label (and time) per row.");
        float[] features = new float[Values.Length];
        for (int i = 0; i < features.Length; i++)
        {
            features[i] = (float)Values[i];
        }

        return new Dataset(Names, features, ToFloat(labels), hasTimes ? ToFloat(times) : null);
    }

    private static float[] ToFloat(ReadOnlySpan<double> values)
    {
        float[] result = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            result[i] = (float)values[i];
        }

        return result;
    }
}
