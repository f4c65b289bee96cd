using Consortia.Learning;

namespace Consortia.Assurance.Reconstruction;

/// <summary>
/// Exact recovery of a training record from a logistic-regression update computed on that record alone.
/// </summary>
/// <remarks>
/// For one record (x, y) the log-loss gradient is g_w = (p − y)·x and g_b = p − y, so x = g_w / g_b. A
/// FedAvg-style update after one plain SGD step is Δ = −lr·g, and the ratio cancels the learning rate, so the
/// same division recovers x from what a curious coordinator receives. It fails (and this says so) when the
/// update mixes several records, when an L2 penalty or momentum/Adam alters the step, or when p = y exactly.
/// </remarks>
public static class LogisticUpdateInversion
{
    /// <summary>The weight and bias segment names of <see cref="Learning.Models.ModelKind.Logistic"/> models.</summary>
    private const string WeightSegment = "linear.weight";
    private const string BiasSegment = "linear.bias";

    /// <summary>Recovers the record's features from a one-record gradient or one-step update.</summary>
    /// <param name="layout">The logistic model's parameter layout (weights then bias).</param>
    /// <param name="update">The gradient, or the difference new − old parameters after one SGD step.</param>
    /// <returns>The recovered features, g_w / g_b, in double precision.</returns>
    /// <exception cref="ArgumentException">The layout is not a logistic model's or the lengths differ.</exception>
    /// <exception cref="InvalidOperationException">The bias component is 0: the record left no trace to invert.</exception>
    public static double[] Reconstruct(ParameterLayout layout, ReadOnlySpan<float> update)
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (layout.Segments.Count != 2 || layout.Segments[0].Name != WeightSegment || layout.Segments[1].Name != BiasSegment)
        {
            throw new ArgumentException($"Expected a logistic model's layout ({WeightSegment}, {BiasSegment}), got {layout}.", nameof(layout));
        }

        if (update.Length != layout.Length)
        {
            throw new ArgumentException($"Expected an update of {layout.Length} values, got {update.Length}.", nameof(update));
        }

        var weights = layout[WeightSegment];
        double bias = update[layout[BiasSegment].Offset];
        if (bias == 0 || !double.IsFinite(bias))
        {
            throw new InvalidOperationException($"The update's bias component is {bias}: nothing to divide by, the record cannot be recovered.");
        }

        double[] x = new double[weights.Length];
        ReadOnlySpan<float> w = update.Slice(weights.Offset, weights.Length);
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = w[i] / bias;
        }

        return x;
    }

    /// <summary>The largest absolute difference between a reconstruction and a record (the reported error).</summary>
    /// <param name="reconstruction">The recovered features.</param>
    /// <param name="record">The true features.</param>
    /// <returns>max |reconstruction − record|.</returns>
    /// <exception cref="ArgumentException">The lengths differ.</exception>
    public static double MaxAbsError(ReadOnlySpan<double> reconstruction, ReadOnlySpan<float> record)
    {
        if (reconstruction.Length != record.Length)
        {
            throw new ArgumentException($"Expected {record.Length} values, got {reconstruction.Length}.", nameof(reconstruction));
        }

        double max = 0;
        for (int i = 0; i < record.Length; i++)
        {
            max = Math.Max(max, Math.Abs(reconstruction[i] - record[i]));
        }

        return max;
    }
}
