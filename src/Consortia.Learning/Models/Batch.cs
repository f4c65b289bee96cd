namespace Consortia.Learning.Models;

/// <summary>A contiguous mini-batch: row-major features, targets and (for survival) times.</summary>
/// <remarks>A <c>ref struct</c> so that batches are views over scratch buffers and never allocate.</remarks>
public readonly ref struct Batch
{
    /// <summary>Creates a batch view.</summary>
    /// <param name="features">Row-major features, <paramref name="rows"/> × feature count.</param>
    /// <param name="labels">Class labels or event indicators, one per row.</param>
    /// <param name="times">Survival times, one per row, or empty for classification.</param>
    /// <param name="rows">The number of rows.</param>
    public Batch(ReadOnlySpan<float> features, ReadOnlySpan<float> labels, ReadOnlySpan<float> times, int rows)
    {
        Features = features;
        Labels = labels;
        Times = times;
        Rows = rows;
    }

    /// <summary>Row-major features.</summary>
    public ReadOnlySpan<float> Features { get; }

    /// <summary>Class labels (0/1) or event indicators.</summary>
    public ReadOnlySpan<float> Labels { get; }

    /// <summary>Survival times; empty for classification.</summary>
    public ReadOnlySpan<float> Times { get; }

    /// <summary>The number of rows.</summary>
    public int Rows { get; }

    /// <summary>Creates a batch over a whole dataset.</summary>
    /// <param name="data">The dataset.</param>
    /// <returns>A view over all rows.</returns>
    public static Batch Of(Dataset data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new Batch(data.Features, data.Labels, data.Times, data.Count);
    }
}
